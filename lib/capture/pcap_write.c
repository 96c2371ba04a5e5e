/*
 * pcap_write.c -- write SIP messages to a pcap file as synthesised
 * Ethernet frames, so that Wireshark, tshark and sngrep read what the stack
 * sent and received.
 *
 * Framing: Ethernet II (IEEE 802.3 §3.2, EtherType 0x0800 / 0x86DD),
 * IPv4 (RFC 791 §3.1; header checksum RFC 1071), IPv6 (RFC 8200 §3),
 * UDP (RFC 768; the checksum is optional over IPv4 but mandatory over IPv6,
 * RFC 8200 §8.1 -- we compute it for both), TCP (RFC 9293 §3.1, with the
 * three-way handshake of §3.5 at the start of each flow). The file itself is
 * written by libpcap (pcap_open_dead + pcap_dump), LINKTYPE_ETHERNET.
 *
 * Nothing is ever fragmented: a UDP payload must fit one IP datagram, and
 * the snapshot length (262144, libpcap's maximum for Ethernet) is above the
 * largest frame so that readers do not truncate it.
 */
#include <siphon/capture.h>

#include "cap_internal.h"

#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SNAPLEN 262144
#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
#define TCP_LEN 20
/* The most TCP payload one IPv4 datagram carries (65535 - 20 - 20); used
 * for IPv6 too so that segmentation does not depend on the family. */
#define TCP_SEG_MAX 65495u
#define FRAME_MAX (ETH_LEN + IP6_LEN + UDP_LEN + SIPHON_PCAP_UDP6_MAX)

#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

/* A TCP connection: a is the side that sent first (and so sent the SYN). */
typedef struct flow {
    siphon_capture_addr a, b;
    uint32_t next_a, next_b; /* next sequence number each side sends */
    struct flow *chain;
} flow;

struct siphon_pcap_writer {
    pcap_t *dead;
    pcap_dumper_t *dumper;
    uint8_t *frame;
    flow **buckets;
    size_t nbuckets, nflows;
    uint32_t isn;   /* deterministic initial sequence numbers */
    uint16_t ip_id; /* IPv4 identification, one counter per file */
    uint64_t frames;
    char err[SIPHON_CAPTURE_ERRLEN];
};

static void seterr(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void seterr(char *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, SIPHON_CAPTURE_ERRLEN, fmt, ap);
    va_end(ap);
}


/* RFC 1071 one's-complement sum; callers pass even lengths except last. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (; n > 1; p += 2, n -= 2)
        sum += (uint32_t)p[0] << 8 | p[1];
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static size_t iplen(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

/* A stable, locally administered MAC per IP, so that hosts stay apart in
 * Wireshark's Ethernet conversations. */
static void put_mac(uint8_t *p, const siphon_capture_addr *a)
{
    p[0] = 0x02;
    p[1] = 0x00;
    memcpy(p + 2, a->ip + iplen(a->family) - 4, 4);
}

/*
 * Write Ethernet and IP headers for an L4 segment of l4len bytes into the
 * frame; return the offset of the L4 header and the L4 checksum's start
 * value (the pseudo-header sum, RFC 768 / RFC 9293 §3.1 / RFC 8200 §8.1).
 */
static size_t put_l3(siphon_pcap_writer *w, const siphon_capture_addr *src,
                     const siphon_capture_addr *dst, uint8_t proto,
                     size_t l4len, uint32_t *pseudo)
{
    uint8_t *f = w->frame;
    put_mac(f, dst);
    put_mac(f + 6, src);
    size_t n = iplen(src->family);
    uint8_t ph[40];
    memcpy(ph, src->ip, n);
    memcpy(ph + n, dst->ip, n);
    *pseudo = csum_add(0, ph, 2 * n) + proto + (uint32_t)l4len;
    if (src->family == AF_INET) {
        put16(f + 12, 0x0800);
        uint8_t *ip = f + ETH_LEN;
        ip[0] = 0x45; /* version 4, 5 words */
        ip[1] = 0;
        put16(ip + 2, (uint16_t)(IP4_LEN + l4len));
        put16(ip + 4, w->ip_id++);
        put16(ip + 6, 0x4000); /* DF: we never fragment */
        ip[8] = 64;
        ip[9] = proto;
        put16(ip + 10, 0);
        memcpy(ip + 12, src->ip, 4);
        memcpy(ip + 16, dst->ip, 4);
        put16(ip + 10, csum_fold(csum_add(0, ip, IP4_LEN)));
        return ETH_LEN + IP4_LEN;
    }
    put16(f + 12, 0x86dd);
    uint8_t *ip = f + ETH_LEN;
    put32(ip, 0x60000000u); /* version 6, no traffic class or flow label */
    put16(ip + 4, (uint16_t)l4len);
    ip[6] = proto;
    ip[7] = 64;
    memcpy(ip + 8, src->ip, 16);
    memcpy(ip + 24, dst->ip, 16);
    return ETH_LEN + IP6_LEN;
}

static int dump(siphon_pcap_writer *w, uint64_t ts_us, size_t len)
{
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(ts_us / 1000000u);
    h.ts.tv_usec = (suseconds_t)(ts_us % 1000000u);
    h.caplen = h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)w->dumper, &h, w->frame);
    FILE *fp = pcap_dump_file(w->dumper);
    if (ferror(fp)) {
        seterr(w->err, "writing the pcap file failed");
        return SIPHON_EIO;
    }
    w->frames++;
    return 0;
}

static int emit_udp(siphon_pcap_writer *w, const siphon_capture_pkt *pkt)
{
    uint32_t sum;
    size_t l4len = UDP_LEN + pkt->len;
    size_t off = put_l3(w, &pkt->src, &pkt->dst, IPPROTO_UDP, l4len, &sum);
    uint8_t *u = w->frame + off;
    put16(u, pkt->src.port);
    put16(u + 2, pkt->dst.port);
    put16(u + 4, (uint16_t)l4len);
    put16(u + 6, 0);
    if (pkt->len)
        memcpy(u + UDP_LEN, pkt->payload, pkt->len);
    uint16_t c = csum_fold(csum_add(sum, u, l4len));
    put16(u + 6, c ? c : 0xffff); /* 0 means "no checksum" (RFC 768) */
    return dump(w, pkt->ts_us, off + l4len);
}

static int emit_tcp(siphon_pcap_writer *w, uint64_t ts_us,
                    const siphon_capture_addr *src,
                    const siphon_capture_addr *dst, uint32_t seq, uint32_t ack,
                    uint8_t flags, const void *data, size_t len)
{
    uint32_t sum;
    size_t l4len = TCP_LEN + len;
    size_t off = put_l3(w, src, dst, IPPROTO_TCP, l4len, &sum);
    uint8_t *t = w->frame + off;
    put16(t, src->port);
    put16(t + 2, dst->port);
    put32(t + 4, seq);
    put32(t + 8, (flags & TH_ACK) ? ack : 0);
    t[12] = (TCP_LEN / 4) << 4;
    t[13] = flags;
    put16(t + 14, 65535); /* window */
    put16(t + 16, 0);
    put16(t + 18, 0);
    if (len)
        memcpy(t + TCP_LEN, data, len);
    put16(t + 16, csum_fold(csum_add(sum, t, l4len)));
    return dump(w, ts_us, off + l4len);
}

/* ---- flows ------------------------------------------------------------- */

static uint32_t addr_hash(const siphon_capture_addr *a)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < iplen(a->family); i++)
        h = (h ^ a->ip[i]) * 16777619u;
    h = (h ^ (a->port & 0xff)) * 16777619u;
    h = (h ^ (a->port >> 8)) * 16777619u;
    return h;
}

/* Symmetric in (x, y): both directions of a connection share a bucket. */
static size_t flow_bucket(const siphon_pcap_writer *w,
                          const siphon_capture_addr *x,
                          const siphon_capture_addr *y)
{
    return (addr_hash(x) ^ addr_hash(y)) & (w->nbuckets - 1);
}

static flow *flow_find(siphon_pcap_writer *w, const siphon_capture_addr *src,
                       const siphon_capture_addr *dst)
{
    if (!w->nbuckets)
        return NULL;
    for (flow *f = w->buckets[flow_bucket(w, src, dst)]; f; f = f->chain)
        if ((siphon_capture_addr_eq(&f->a, src) &&
             siphon_capture_addr_eq(&f->b, dst)) ||
            (siphon_capture_addr_eq(&f->a, dst) &&
             siphon_capture_addr_eq(&f->b, src)))
            return f;
    return NULL;
}

static int flow_grow(siphon_pcap_writer *w)
{
    size_t n = w->nbuckets ? w->nbuckets * 2 : 64;
    flow **nb = calloc(n, sizeof *nb);
    if (!nb)
        return SIPHON_ENOMEM;
    size_t old = w->nbuckets;
    flow **ob = w->buckets;
    w->buckets = nb;
    w->nbuckets = n;
    for (size_t i = 0; i < old; i++) {
        for (flow *f = ob[i], *next; f; f = next) {
            next = f->chain;
            size_t b = flow_bucket(w, &f->a, &f->b);
            f->chain = nb[b];
            nb[b] = f;
        }
    }
    free(ob);
    return 0;
}

static flow *flow_add(siphon_pcap_writer *w, const siphon_capture_addr *src,
                      const siphon_capture_addr *dst)
{
    if (w->nflows >= w->nbuckets && flow_grow(w))
        return NULL;
    flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->a = *src;
    f->b = *dst;
    /* Distinct, reproducible ISNs: captures of the same run compare equal. */
    f->next_a = w->isn;
    f->next_b = w->isn + 0x00800000u;
    w->isn += 0x01000000u;
    size_t b = flow_bucket(w, src, dst);
    f->chain = w->buckets[b];
    w->buckets[b] = f;
    w->nflows++;
    return f;
}

static int write_tcp(siphon_pcap_writer *w, const siphon_capture_pkt *pkt)
{
    flow *f = flow_find(w, &pkt->src, &pkt->dst);
    int rc;
    if (!f) {
        f = flow_add(w, &pkt->src, &pkt->dst);
        if (!f) {
            seterr(w->err, "out of memory for a TCP flow");
            return SIPHON_ENOMEM;
        }
        /* RFC 9293 §3.5 three-way handshake, stamped with the first
         * message's time so that relative times are unchanged. */
        uint32_t ia = f->next_a, ib = f->next_b;
        if ((rc = emit_tcp(w, pkt->ts_us, &f->a, &f->b, ia, 0, TH_SYN, NULL,
                           0)) ||
            (rc = emit_tcp(w, pkt->ts_us, &f->b, &f->a, ib, ia + 1,
                           TH_SYN | TH_ACK, NULL, 0)) ||
            (rc = emit_tcp(w, pkt->ts_us, &f->a, &f->b, ia + 1, ib + 1,
                           TH_ACK, NULL, 0)))
            return rc;
        f->next_a = ia + 1;
        f->next_b = ib + 1;
    }
    bool from_a = siphon_capture_addr_eq(&f->a, &pkt->src);
    uint32_t *mine = from_a ? &f->next_a : &f->next_b;
    uint32_t peer = from_a ? f->next_b : f->next_a;
    const uint8_t *p = pkt->payload;
    size_t left = pkt->len;
    do {
        size_t n = left > TCP_SEG_MAX ? TCP_SEG_MAX : left;
        rc = emit_tcp(w, pkt->ts_us, &pkt->src, &pkt->dst, *mine, peer,
                      TH_PSH | TH_ACK, p, n);
        if (rc)
            return rc;
        *mine += (uint32_t)n;
        p += n;
        left -= n;
    } while (left);
    return 0;
}

/* ---- public API -------------------------------------------------------- */

int siphon_pcap_writer_open(const char *path, siphon_pcap_writer **out,
                            char *err)
{
    if (err)
        err[0] = 0;
    if (!path || !out) {
        seterr(err, "siphon_pcap_writer_open: NULL argument");
        return SIPHON_EINVAL;
    }
    *out = NULL;
    siphon_pcap_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->frame = malloc(FRAME_MAX))) {
        free(w);
        seterr(err, "out of memory");
        return SIPHON_ENOMEM;
    }
    w->isn = 0x10000000u;
    w->dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
    if (!w->dead) {
        free(w->frame);
        free(w);
        seterr(err, "pcap_open_dead failed");
        return SIPHON_ENOMEM;
    }
    w->dumper = pcap_dump_open(w->dead, path);
    if (!w->dumper) {
        seterr(err, "cannot create %s: %s", path, pcap_geterr(w->dead));
        pcap_close(w->dead);
        free(w->frame);
        free(w);
        return SIPHON_EIO;
    }
    *out = w;
    return 0;
}

int siphon_pcap_write_sip(siphon_pcap_writer *w, const siphon_capture_pkt *pkt)
{
    if (!w)
        return SIPHON_EINVAL;
    w->err[0] = 0;
    if (!pkt || (!pkt->payload && pkt->len)) {
        seterr(w->err, "no packet or no payload");
        return SIPHON_EINVAL;
    }
    int fam = pkt->src.family;
    if (fam != AF_INET && fam != AF_INET6) {
        seterr(w->err, "unsupported address family %d (want AF_INET or "
                       "AF_INET6)", fam);
        return SIPHON_EINVAL;
    }
    if (pkt->dst.family != fam) {
        seterr(w->err, "source and destination address families differ");
        return SIPHON_EINVAL;
    }
    switch (pkt->transport) {
    case SIPHON_CAPTURE_UDP: {
        size_t max = fam == AF_INET ? SIPHON_PCAP_UDP4_MAX : SIPHON_PCAP_UDP6_MAX;
        if (pkt->len > max) {
            seterr(w->err, "UDP payload of %zu bytes exceeds %zu, the most "
                           "one unfragmented IPv%d datagram carries",
                   pkt->len, max, fam == AF_INET ? 4 : 6);
            return SIPHON_ETOOBIG;
        }
        return emit_udp(w, pkt);
    }
    case SIPHON_CAPTURE_TCP:
    case SIPHON_CAPTURE_TLS:
    case SIPHON_CAPTURE_WS:
        return write_tcp(w, pkt);
    }
    seterr(w->err, "unknown transport %d", (int)pkt->transport);
    return SIPHON_EINVAL;
}

int siphon_pcap_writer_flush(siphon_pcap_writer *w)
{
    if (!w)
        return SIPHON_EINVAL;
    if (pcap_dump_flush(w->dumper) != 0) {
        seterr(w->err, "flushing the pcap file failed");
        return SIPHON_EIO;
    }
    return 0;
}

const char *siphon_pcap_writer_error(const siphon_pcap_writer *w)
{
    return w ? w->err : "";
}

uint64_t siphon_pcap_writer_frames(const siphon_pcap_writer *w)
{
    return w ? w->frames : 0;
}

int siphon_pcap_writer_close(siphon_pcap_writer *w)
{
    if (!w)
        return 0;
    int rc = pcap_dump_flush(w->dumper) == 0 ? 0 : SIPHON_EIO;
    pcap_dump_close(w->dumper);
    pcap_close(w->dead);
    for (size_t i = 0; i < w->nbuckets; i++) {
        for (flow *f = w->buckets[i], *next; f; f = next) {
            next = f->chain;
            free(f);
        }
    }
    free(w->buckets);
    free(w->frame);
    free(w);
    return rc;
}
