/*
 * test_capture_support.c -- see test_capture_support.h. The frame decoder
 * here is written from the RFCs (791, 8200, 768, 9293) independently of
 * lib/capture/pcap_write.c, and checks every length and checksum.
 */
#include "test_capture_support.h"

#include "unit.h"

#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
    for (; n > 1; p += 2, n -= 2)
        s += get16(p);
    if (n)
        s += (uint32_t)p[0] << 8;
    return s;
}

static bool sum_ok(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return s == 0xffff;
}

static void decode(cap_frame *fr, const uint8_t *d, size_t n)
{
    if (n < 14)
        return;
    uint16_t et = get16(d + 12);
    const uint8_t *ip = d + 14, *l4;
    size_t l4len;
    uint32_t pseudo;
    if (et == 0x0800 && n >= 34) {
        size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
        size_t tot = get16(ip + 2);
        fr->family = AF_INET;
        fr->proto = ip[9];
        fr->ip_csum_ok = sum_ok(sum16(0, ip, ihl));
        fr->lengths_ok = tot + 14 == n;
        memcpy(fr->src.ip, ip + 12, 4);
        memcpy(fr->dst.ip, ip + 16, 4);
        l4 = ip + ihl;
        l4len = tot - ihl;
        pseudo = sum16(0, ip + 12, 8);
    } else if (et == 0x86dd && n >= 54) {
        size_t plen = get16(ip + 4);
        fr->family = AF_INET6;
        fr->proto = ip[6];
        fr->ip_csum_ok = true; /* IPv6 has no header checksum */
        fr->lengths_ok = plen + 54 == n;
        memcpy(fr->src.ip, ip + 8, 16);
        memcpy(fr->dst.ip, ip + 24, 16);
        l4 = ip + 40;
        l4len = plen;
        pseudo = sum16(0, ip + 8, 32);
    } else {
        return;
    }
    if (!fr->lengths_ok || (size_t)(l4 - d) + l4len > n)
        return;
    fr->src.family = fr->dst.family = fr->family;
    pseudo += (uint32_t)fr->proto + (uint32_t)l4len;
    fr->l4_csum_ok = sum_ok(sum16(pseudo, l4, l4len));
    size_t hl;
    if (fr->proto == IPPROTO_UDP) {
        hl = 8;
        fr->lengths_ok = get16(l4 + 4) == l4len;
    } else if (fr->proto == IPPROTO_TCP) {
        hl = (size_t)(l4[12] >> 4) * 4;
        fr->tcp_flags = l4[13];
        fr->seq = get32(l4 + 4);
        fr->ack = get32(l4 + 8);
    } else {
        return;
    }
    fr->src.port = get16(l4);
    fr->dst.port = get16(l4 + 2);
    fr->len = l4len - hl;
    fr->payload = malloc(fr->len + 1);
    if (fr->payload) {
        memcpy(fr->payload, l4 + hl, fr->len);
        fr->payload[fr->len] = 0;
    }
}

int cap_read(const char *path, cap_file *out)
{
    char err[PCAP_ERRBUF_SIZE];
    memset(out, 0, sizeof *out);
    pcap_t *p = pcap_open_offline(path, err);
    if (!p) {
        printf("#   pcap_open_offline: %s\n", err);
        return -1;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        printf("#   link type %d\n", pcap_datalink(p));
        pcap_close(p);
        return -1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    size_t cap = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            cap_frame *nf = realloc(out->f, cap * sizeof *nf);
            if (!nf)
                abort();
            out->f = nf;
        }
        cap_frame *fr = &out->f[out->n++];
        memset(fr, 0, sizeof *fr);
        fr->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        fr->caplen = h->caplen;
        fr->wirelen = h->len;
        decode(fr, d, h->caplen);
    }
    if (rc == -1)
        printf("#   pcap_next_ex: %s\n", pcap_geterr(p));
    pcap_close(p);
    return rc == -1 ? -1 : 0;
}

void cap_file_free(cap_file *cf)
{
    for (size_t i = 0; i < cf->n; i++)
        free(cf->f[i].payload);
    free(cf->f);
    memset(cf, 0, sizeof *cf);
}

char *cap_tmpfile(void)
{
    char *path = strdup("/tmp/siphon_capture_XXXXXX");
    if (!path)
        return NULL;
    int fd = mkstemp(path);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

bool cap_have_tshark(void)
{
    return system("command -v tshark >/dev/null 2>&1") == 0;
}

char *cap_tshark(const char *path, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "tshark -n -r '%s' %s 2>/dev/null", path, args);
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, r;
    char *buf = malloc(cap + 1);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int st = pclose(f);
    if (!buf)
        return NULL;
    buf[n] = 0;
    if (st != 0) {
        printf("#   tshark exited with status %d\n", st);
        free(buf);
        return NULL;
    }
    return buf;
}

siphon_capture_pkt cap_pkt(uint64_t ts_us, siphon_capture_transport t,
                           const char *src, const char *dst, const char *msg)
{
    siphon_capture_pkt p;
    memset(&p, 0, sizeof p);
    p.ts_us = ts_us;
    p.transport = t;
    if (siphon_capture_addr_parse(src, &p.src) ||
        siphon_capture_addr_parse(dst, &p.dst))
        printf("#   bad test address %s or %s\n", src, dst);
    p.payload = msg;
    p.len = strlen(msg);
    return p;
}
