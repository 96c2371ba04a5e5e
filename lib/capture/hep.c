/*
 * hep.c -- HEPv3 (EEP) encoder, sans-I/O: one captured SIP message in, one
 * HEP3 packet appended to a siphon_buf out. Sending it to a collector
 * (HOMER, heplify-server, sngrep -L) is net/'s job.
 *
 * Format: "HEP3 Network Protocol Specification" (Alexandr Dubovikov,
 * Roland Hänel; sipcapture.org, github.com/sipcapture/HEP, docs/
 * HEP3_Network_Protocol_Specification_REV_37.pdf). A packet is the 4-octet
 * id "HEP3", a u16 total length (network order, counting the id and the
 * length field themselves, so 6..65535), then chunks: u16 vendor id
 * (0x0000 = generic), u16 type id, u16 length counting this 6-octet chunk
 * header, then the value. All integers are big-endian.
 */
#include <siphon/capture.h>

#include "cap_internal.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define HEP_HDR 6
#define CHUNK_HDR 6
#define HEP_MAX 65535u

/* The HEP3 ip-family chunk carries the BSD values, whatever the host's. */
#define HEP_AF_INET 2
#define HEP_AF_INET6 10


/* Append one generic chunk; the total was bounded before, so len fits. */
static int chunk(siphon_buf *out, uint16_t type, const void *v, size_t len)
{
    uint8_t h[CHUNK_HDR];
    put16(h, 0x0000);
    put16(h + 2, type);
    put16(h + 4, (uint16_t)(CHUNK_HDR + len));
    int rc = siphon_buf_append(out, h, sizeof h);
    return rc ? rc : siphon_buf_append(out, v, len);
}

static int chunk_u8(siphon_buf *out, uint16_t type, uint8_t v)
{
    return chunk(out, type, &v, 1);
}

static int chunk_u16(siphon_buf *out, uint16_t type, uint16_t v)
{
    uint8_t b[2];
    put16(b, v);
    return chunk(out, type, b, 2);
}

static int chunk_u32(siphon_buf *out, uint16_t type, uint32_t v)
{
    uint8_t b[4];
    put32(b, v);
    return chunk(out, type, b, 4);
}

int siphon_hep_encode(const siphon_capture_pkt *pkt, const siphon_hep_opts *opts,
                      siphon_buf *out)
{
    static const siphon_hep_opts defaults;
    if (!pkt || !out || (!pkt->payload && pkt->len))
        return SIPHON_EINVAL;
    if (!opts)
        opts = &defaults;
    int fam = pkt->src.family;
    if ((fam != AF_INET && fam != AF_INET6) || pkt->dst.family != fam)
        return SIPHON_EINVAL;
    size_t alen = fam == AF_INET ? 4 : 16;

    /* The correlation id: given, or the Call-ID of the payload. The parsed
     * message must outlive the append, so it is released at the end. */
    siphon_str corr = opts->correlation_id;
    siphon_msg *m = NULL;
    if (!corr.len && opts->call_id_correlation && pkt->len) {
        siphon_parse_opts po;
        siphon_parse_opts_default(&po);
        if (siphon_msg_parse(pkt->payload, pkt->len, &po, &m, NULL) == 0)
            corr = siphon_msg_call_id(m);
    }
    size_t keylen = opts->auth_key ? strlen(opts->auth_key) : 0;

    /* Size first, so that an oversize packet leaves out untouched. */
    size_t total = HEP_HDR;
    total += 2 * (CHUNK_HDR + 1);            /* family, protocol */
    total += 2 * (CHUNK_HDR + alen);         /* addresses */
    total += 2 * (CHUNK_HDR + 2);            /* ports */
    total += 2 * (CHUNK_HDR + 4);            /* seconds, microseconds */
    total += (CHUNK_HDR + 1) + (CHUNK_HDR + 4); /* proto type, capture id */
    if (opts->auth_key)
        total += CHUNK_HDR + keylen;
    if (corr.len)
        total += CHUNK_HDR + corr.len;
    int rc = SIPHON_ETOOBIG;
    if (pkt->len > HEP_MAX || keylen > HEP_MAX || corr.len > HEP_MAX ||
        total + CHUNK_HDR + pkt->len > HEP_MAX)
        goto done;
    total += CHUNK_HDR + pkt->len;

    size_t mark = out->len;
    uint8_t hdr[HEP_HDR] = {'H', 'E', 'P', '3', 0, 0};
    put16(hdr + 4, (uint16_t)total);
    uint8_t proto = pkt->transport == SIPHON_CAPTURE_UDP ? IPPROTO_UDP
                                                         : IPPROTO_TCP;
    uint32_t sec = (uint32_t)(pkt->ts_us / 1000000u);
    uint32_t usec = (uint32_t)(pkt->ts_us % 1000000u);
    bool v4 = fam == AF_INET;
    if ((rc = siphon_buf_append(out, hdr, sizeof hdr)) ||
        (rc = chunk_u8(out, SIPHON_HEP_IP_FAMILY,
                       v4 ? HEP_AF_INET : HEP_AF_INET6)) ||
        (rc = chunk_u8(out, SIPHON_HEP_IP_PROTO, proto)) ||
        (rc = chunk(out, v4 ? SIPHON_HEP_IPV4_SRC : SIPHON_HEP_IPV6_SRC,
                    pkt->src.ip, alen)) ||
        (rc = chunk(out, v4 ? SIPHON_HEP_IPV4_DST : SIPHON_HEP_IPV6_DST,
                    pkt->dst.ip, alen)) ||
        (rc = chunk_u16(out, SIPHON_HEP_SRC_PORT, pkt->src.port)) ||
        (rc = chunk_u16(out, SIPHON_HEP_DST_PORT, pkt->dst.port)) ||
        (rc = chunk_u32(out, SIPHON_HEP_TS_SEC, sec)) ||
        (rc = chunk_u32(out, SIPHON_HEP_TS_USEC, usec)) ||
        (rc = chunk_u8(out, SIPHON_HEP_PROTO_TYPE,
                       opts->proto_type ? opts->proto_type : 1)) ||
        (rc = chunk_u32(out, SIPHON_HEP_CAPTURE_ID, opts->capture_id)) ||
        (opts->auth_key &&
         (rc = chunk(out, SIPHON_HEP_AUTH_KEY, opts->auth_key, keylen))) ||
        (corr.len &&
         (rc = chunk(out, SIPHON_HEP_CORRELATION_ID, corr.p, corr.len))) ||
        (rc = chunk(out, SIPHON_HEP_PAYLOAD, pkt->payload, pkt->len))) {
        out->len = mark; /* a ceiling or malloc failure: undo the partial */
        if (out->p)
            out->p[mark] = 0;
        goto done;
    }
    rc = 0;
done:
    if (m)
        siphon_msg_unref(m);
    return rc;
}
