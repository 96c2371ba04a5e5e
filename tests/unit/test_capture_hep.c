/*
 * test_capture_hep.c -- the HEPv3 encoder (lib/capture/hep.c). Packets are
 * taken apart here by a chunk walker written from the HEP3 specification
 * (sipcapture.org, github.com/sipcapture/HEP) and every field is checked;
 * then HEP packets are written as UDP to port 9060 into a pcap for tshark,
 * when the local tshark has a HEP dissector (4.0 has none: skipped).
 */
#include "test_capture_support.h"
#include "unit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define T0 1700000000123456ull

static const char *const invite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-h1\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a\r\n"
    "To: <sip:bob@example.com>\r\nCall-ID: hep-call-1@192.0.2.1\r\n"
    "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

/* Decoded chunks: value and length per generic type id (0..0x1f). */
typedef struct hep_view {
    const uint8_t *v[32];
    size_t len[32];
    int count[32];
    bool ok;
} hep_view;

static uint32_t be(const uint8_t *p, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Walk one packet at p; returns its length (0 when malformed). */
static size_t hep_walk(const uint8_t *p, size_t n, hep_view *hv)
{
    memset(hv, 0, sizeof *hv);
    if (n < 6 || memcmp(p, "HEP3", 4) != 0)
        return 0;
    size_t total = be(p + 4, 2);
    if (total < 6 || total > n)
        return 0;
    size_t off = 6;
    while (off < total) {
        if (total - off < 6)
            return 0;
        uint32_t vendor = be(p + off, 2), type = be(p + off + 2, 2);
        size_t cl = be(p + off + 4, 2);
        if (cl < 6 || cl > total - off || vendor != 0 || type >= 32)
            return 0;
        hv->v[type] = p + off + 6;
        hv->len[type] = cl - 6;
        hv->count[type]++;
        off += cl;
    }
    hv->ok = true;
    return total;
}

static uint32_t hv_u(const hep_view *hv, int type, size_t want_len)
{
    if (hv->len[type] != want_len || !hv->v[type]) {
        unit_fail(__FILE__, __LINE__, "chunk 0x%04x has %zu bytes, want %zu",
                  type, hv->len[type], want_len);
        return 0xffffffffu;
    }
    return be(hv->v[type], want_len);
}

static bool hv_is(const hep_view *hv, int type, const void *want, size_t n)
{
    return hv->len[type] == n && hv->v[type] && memcmp(hv->v[type], want, n) == 0;
}

UNIT_TEST(capture_hep_ipv4_fields)
{
    siphon_capture_pkt p = cap_pkt(T0, SIPHON_CAPTURE_UDP, "192.0.2.1:5060",
                                   "198.51.100.2:5070", invite);
    siphon_hep_opts o;
    memset(&o, 0, sizeof o);
    o.capture_id = 0x01020304;
    o.auth_key = "s3cret";
    o.correlation_id = SIPHON_STR_LIT("corr-42");
    siphon_buf b;
    siphon_buf_init(&b, 0);
    CHECK_INT(siphon_buf_append_c(&b, "xx"), 0); /* appends, keeps prefix */
    CHECK_INT(siphon_hep_encode(&p, &o, &b), 0);
    hep_view hv;
    size_t n = hep_walk((const uint8_t *)b.p + 2, b.len - 2, &hv);
    CHECK(hv.ok);
    CHECK_INT(n, b.len - 2);
    CHECK(memcmp(b.p, "xx", 2) == 0);
    if (hv.ok) {
        static const uint8_t s4[] = {192, 0, 2, 1}, d4[] = {198, 51, 100, 2};
        CHECK_INT(hv_u(&hv, 0x01, 1), 2);
        CHECK_INT(hv_u(&hv, 0x02, 1), 17);
        CHECK(hv_is(&hv, 0x03, s4, 4));
        CHECK(hv_is(&hv, 0x04, d4, 4));
        CHECK_INT(hv.count[0x05] + hv.count[0x06], 0);
        CHECK_INT(hv_u(&hv, 0x07, 2), 5060);
        CHECK_INT(hv_u(&hv, 0x08, 2), 5070);
        CHECK_INT(hv_u(&hv, 0x09, 4), 1700000000u);
        CHECK_INT(hv_u(&hv, 0x0a, 4), 123456u);
        CHECK_INT(hv_u(&hv, 0x0b, 1), 1);
        CHECK_INT(hv_u(&hv, 0x0c, 4), 0x01020304u);
        CHECK(hv_is(&hv, 0x0e, "s3cret", 6));
        CHECK(hv_is(&hv, 0x0f, invite, strlen(invite)));
        CHECK(hv_is(&hv, 0x11, "corr-42", 7));
        for (int t = 1; t < 32; t++)
            CHECK(hv.count[t] <= 1);
        /* Header: 6; fixed chunks: 2*7 + 2*10 + 2*8 + 2*10 + 7 + 10 = 87. */
        CHECK_INT(n, 6 + 87 + (6 + 6) + (6 + 7) + 6 + strlen(invite));
    }
    siphon_buf_free(&b);
}

UNIT_TEST(capture_hep_ipv6_tcp_callid)
{
    siphon_capture_pkt p = cap_pkt(T0, SIPHON_CAPTURE_TLS, "[2001:db8::1]:5061",
                                   "[2001:db8::2]:40000", invite);
    siphon_hep_opts o;
    memset(&o, 0, sizeof o);
    o.call_id_correlation = true;
    o.proto_type = 1;
    siphon_buf b;
    siphon_buf_init(&b, 0);
    CHECK_INT(siphon_hep_encode(&p, &o, &b), 0);
    /* A second packet, without options, right behind the first. */
    CHECK_INT(siphon_hep_encode(&p, NULL, &b), 0);
    hep_view hv;
    size_t n = hep_walk((const uint8_t *)b.p, b.len, &hv);
    CHECK(hv.ok);
    if (hv.ok) {
        CHECK_INT(hv_u(&hv, 0x01, 1), 10);
        CHECK_INT(hv_u(&hv, 0x02, 1), 6);
        CHECK(hv_is(&hv, 0x05, p.src.ip, 16));
        CHECK(hv_is(&hv, 0x06, p.dst.ip, 16));
        CHECK_INT(hv.count[0x03] + hv.count[0x04], 0);
        CHECK_INT(hv_u(&hv, 0x07, 2), 5061);
        CHECK_INT(hv_u(&hv, 0x08, 2), 40000);
        CHECK_INT(hv_u(&hv, 0x0c, 4), 0);
        CHECK_INT(hv.count[0x0e], 0);
        CHECK(hv_is(&hv, 0x11, "hep-call-1@192.0.2.1", 20));
        CHECK(hv_is(&hv, 0x0f, invite, strlen(invite)));
    }
    hep_view hv2;
    size_t n2 = n ? hep_walk((const uint8_t *)b.p + n, b.len - n, &hv2) : 0;
    CHECK(hv2.ok);
    CHECK_INT(n + n2, b.len);
    if (hv2.ok) {
        CHECK_INT(hv2.count[0x11] + hv2.count[0x0e], 0);
        CHECK_INT(hv_u(&hv2, 0x0b, 1), 1);
        CHECK(hv_is(&hv2, 0x0f, invite, strlen(invite)));
    }
    /* Not SIP: no correlation chunk, no error. */
    siphon_buf_free(&b);
    siphon_buf_init(&b, 0);
    p.payload = "\x16\x03\x01";
    p.len = 3;
    CHECK_INT(siphon_hep_encode(&p, &o, &b), 0);
    CHECK(hep_walk((const uint8_t *)b.p, b.len, &hv) == b.len);
    CHECK_INT(hv.count[0x11], 0);
    siphon_buf_free(&b);
}

UNIT_TEST(capture_hep_errors)
{
    siphon_capture_pkt p = cap_pkt(T0, SIPHON_CAPTURE_UDP, "192.0.2.1:5060",
                                   "192.0.2.2:5060", invite);
    siphon_buf b;
    siphon_buf_init(&b, 0);
    CHECK_INT(siphon_buf_append_c(&b, "keep"), 0);
    siphon_capture_pkt q = p;
    q.src.family = q.dst.family = AF_UNIX;
    CHECK_INT(siphon_hep_encode(&q, NULL, &b), SIPHON_EINVAL);
    q = p;
    q.dst.family = AF_INET6;
    CHECK_INT(siphon_hep_encode(&q, NULL, &b), SIPHON_EINVAL);
    q = p;
    q.payload = NULL;
    CHECK_INT(siphon_hep_encode(&q, NULL, &b), SIPHON_EINVAL);
    CHECK_INT(siphon_hep_encode(NULL, NULL, &b), SIPHON_EINVAL);
    /* The 16-bit length field bounds the whole packet. */
    char *big = calloc(1, 65535);
    CHECK(big != NULL);
    if (big) {
        q = p;
        q.payload = big;
        q.len = 65535 - 6 - 87 - 6; /* exactly 65535 in all */
        CHECK_INT(siphon_hep_encode(&q, NULL, &b), 0);
        CHECK_INT(b.len, 4 + 65535);
        b.len = 4;
        q.len++;
        CHECK_INT(siphon_hep_encode(&q, NULL, &b), SIPHON_ETOOBIG);
        q.len = 100000;
        CHECK_INT(siphon_hep_encode(&q, NULL, &b), SIPHON_ETOOBIG);
        free(big);
    }
    CHECK_INT(b.len, 4);
    siphon_buf_free(&b);
    /* A buffer ceiling hit half-way leaves the buffer as it was. */
    siphon_buf_init(&b, 64);
    CHECK_INT(siphon_buf_append_c(&b, "keep"), 0);
    CHECK_INT(siphon_hep_encode(&p, NULL, &b), SIPHON_ETOOBIG);
    CHECK_INT(b.len, 4);
    CHECK(memcmp(b.p, "keep", 5) == 0);
    siphon_buf_free(&b);
}

static bool tshark_has_hep(void)
{
    return system("tshark -G protocols 2>/dev/null | "
                  "awk -F'\\t' '$3==\"hep\"{f=1} END{exit !f}'") == 0;
}

UNIT_TEST(capture_hep_in_pcap)
{
    static const char *const resp =
        "SIP/2.0 180 Ringing\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-h1\r\n"
        "From: <sip:alice@example.com>;tag=a\r\n"
        "To: <sip:bob@example.com>;tag=b\r\nCall-ID: hep-call-1@192.0.2.1\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    char *path = cap_tmpfile();
    CHECK(path != NULL);
    if (!path)
        return;
    siphon_pcap_writer *w = NULL;
    CHECK_INT(siphon_pcap_writer_open(path, &w, NULL), 0);
    siphon_buf hep[2];
    siphon_buf_init(&hep[0], 0);
    siphon_buf_init(&hep[1], 0);
    const char *sip[2] = {invite, resp};
    for (int i = 0; i < 2 && w; i++) {
        siphon_capture_pkt p =
            cap_pkt(T0 + (uint64_t)i * 1000u, SIPHON_CAPTURE_UDP,
                    i ? "[2001:db8::2]:5060" : "[2001:db8::1]:5060",
                    i ? "[2001:db8::1]:5060" : "[2001:db8::2]:5060", sip[i]);
        siphon_hep_opts o = {.capture_id = 2001, .call_id_correlation = true};
        CHECK_INT(siphon_hep_encode(&p, &o, &hep[i]), 0);
        siphon_capture_pkt carrier =
            cap_pkt(p.ts_us, SIPHON_CAPTURE_UDP, "192.0.2.99:40000",
                    "192.0.2.100:9060", "");
        carrier.payload = hep[i].p;
        carrier.len = hep[i].len;
        CHECK_INT(siphon_pcap_write_sip(w, &carrier), 0);
    }
    CHECK_INT(siphon_pcap_writer_close(w), 0);
    cap_file cf;
    CHECK_INT(cap_read(path, &cf), 0);
    CHECK_INT(cf.n, 2);
    for (size_t i = 0; i < cf.n && i < 2; i++) {
        CHECK_INT(cf.f[i].dst.port, 9060);
        CHECK(cf.f[i].l4_csum_ok);
        CHECK_INT(cf.f[i].len, hep[i].len);
        CHECK(cf.f[i].payload &&
              memcmp(cf.f[i].payload, hep[i].p, hep[i].len) == 0);
        hep_view hv = {.ok = false};
        CHECK(cf.f[i].payload &&
              hep_walk(cf.f[i].payload, cf.f[i].len, &hv) == cf.f[i].len);
        CHECK(hv_is(&hv, 0x0f, sip[i], strlen(sip[i])));
    }
    cap_file_free(&cf);
    if (!cap_have_tshark() || !tshark_has_hep()) {
        printf("#   this tshark has no HEP dissector: tshark check skipped\n");
    } else {
        char *out = cap_tshark(path, "-d udp.port==9060,hep -Y sip -T fields "
                                     "-e sip.Method -e sip.Status-Code");
        CHECK(out != NULL);
        if (out)
            CHECK_STR(siphon_str_c(out), "INVITE\t\n\t180\n");
        free(out);
    }
    siphon_buf_free(&hep[0]);
    siphon_buf_free(&hep[1]);
    unlink(path);
    free(path);
}
