/*
 * test_capture_pcap.c -- the pcap writer (lib/capture/pcap_write.c): a
 * small call (INVITE/100/180/200/ACK/BYE/200) over UDP/IPv4, UDP/IPv6 and
 * TCP, read back with libpcap and checked byte for byte, with every length
 * and checksum (RFC 791, 8200, 768, 9293); then decoded by tshark when it is
 * installed; then the limits and bad input.
 */
#include "test_capture_support.h"
#include "unit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NCALL 7
#define T0 1700000000000000ull /* 2023-11-14, µs */

/* Who sends each message of the call: 0 caller, 1 callee. */
static const int call_dir[NCALL] = {0, 1, 1, 1, 0, 0, 1};
static const char *const call_tshark[NCALL] = {
    "INVITE\t", "\t100", "\t180", "\t200", "ACK\t", "BYE\t", "\t200"};

/* The call between a and b (host:port forms) over transport tp. */
static void make_call(char msgs[NCALL][640], const char *tp, const char *a,
                      const char *b)
{
    static const char *const first[NCALL] = {
        "INVITE sip:bob@%s SIP/2.0", "SIP/2.0 100 Trying",
        "SIP/2.0 180 Ringing",       "SIP/2.0 200 OK",
        "ACK sip:bob@%s SIP/2.0",    "BYE sip:bob@%s SIP/2.0",
        "SIP/2.0 200 OK"};
    static const char *const cseq[NCALL] = {"1 INVITE", "1 INVITE", "1 INVITE",
                                            "1 INVITE", "1 ACK",    "2 BYE",
                                            "2 BYE"};
    static const int branch[NCALL] = {1, 1, 1, 1, 2, 3, 3};
    for (int i = 0; i < NCALL; i++) {
        char line[128];
        snprintf(line, sizeof line, first[i], b);
        snprintf(msgs[i], 640,
                 "%s\r\n"
                 "Via: SIP/2.0/%s %s;branch=z9hG4bK-%d\r\n"
                 "Max-Forwards: 70\r\n"
                 "From: <sip:alice@%s>;tag=a1\r\n"
                 "To: <sip:bob@%s>%s\r\n"
                 "Call-ID: call-%s@test\r\n"
                 "CSeq: %s\r\n"
                 "Contact: <sip:%s@%s;transport=%s>\r\n"
                 "Content-Length: 0\r\n\r\n",
                 line, tp, a, branch[i], a, b, i == 0 || i == 1 ? "" : ";tag=b1",
                 tp, cseq[i], call_dir[i] ? "bob" : "alice",
                 call_dir[i] ? b : a, tp);
    }
}

static void write_call(siphon_pcap_writer *w, char msgs[NCALL][640],
                       siphon_capture_transport t, const char *a,
                       const char *b)
{
    for (int i = 0; i < NCALL; i++) {
        siphon_capture_pkt p = cap_pkt(T0 + (uint64_t)i * 10000u, t,
                                       call_dir[i] ? b : a,
                                       call_dir[i] ? a : b, msgs[i]);
        CHECK_INT(siphon_pcap_write_sip(w, &p), 0);
    }
}

/* Frame i carries msgs[k] from the right side, intact and well formed. */
static void check_frame(const cap_frame *f, const char *msg, int proto,
                        const char *from, const char *to, uint64_t ts)
{
    siphon_capture_addr s, d;
    CHECK_INT(siphon_capture_addr_parse(from, &s), 0);
    CHECK_INT(siphon_capture_addr_parse(to, &d), 0);
    CHECK_INT(f->proto, proto);
    CHECK(f->lengths_ok);
    CHECK(f->ip_csum_ok);
    CHECK(f->l4_csum_ok);
    CHECK(siphon_capture_addr_eq(&f->src, &s));
    CHECK(siphon_capture_addr_eq(&f->dst, &d));
    CHECK_INT(f->ts_us, ts);
    CHECK_INT(f->caplen, f->wirelen);
    CHECK_INT(f->len, strlen(msg));
    CHECK(f->payload && memcmp(f->payload, msg, f->len) == 0);
}

/* tshark's view of the file must be want[] line by line. */
static void check_tshark(const char *path, const char *const *want, size_t n)
{
    if (!cap_have_tshark()) {
        printf("#   tshark not on PATH: decode check skipped\n");
        return;
    }
    char *out = cap_tshark(path, "-Y sip -T fields -e sip.Method "
                                 "-e sip.Status-Code");
    CHECK(out != NULL);
    if (!out)
        return;
    char *save = NULL, *line = strtok_r(out, "\n", &save);
    size_t i = 0;
    for (; line && i < n; line = strtok_r(NULL, "\n", &save), i++)
        if (strcmp(line, want[i]) != 0)
            unit_fail(__FILE__, __LINE__, "tshark line %zu: \"%s\", expected "
                      "\"%s\"", i, line, want[i]);
    CHECK_INT(i, n);
    CHECK(line == NULL);
    free(out);
}

static void udp_call(const char *a, const char *b)
{
    char msgs[NCALL][640];
    make_call(msgs, "UDP", a, b);
    char *path = cap_tmpfile();
    CHECK(path != NULL);
    if (!path)
        return;
    siphon_pcap_writer *w = NULL;
    char err[SIPHON_CAPTURE_ERRLEN];
    CHECK_INT(siphon_pcap_writer_open(path, &w, err), 0);
    if (w) {
        write_call(w, msgs, SIPHON_CAPTURE_UDP, a, b);
        CHECK_INT(siphon_pcap_writer_frames(w), NCALL);
        CHECK_INT(siphon_pcap_writer_close(w), 0);
    }
    cap_file cf;
    CHECK_INT(cap_read(path, &cf), 0);
    CHECK_INT(cf.n, NCALL);
    for (size_t i = 0; i < cf.n && i < NCALL; i++)
        check_frame(&cf.f[i], msgs[i], IPPROTO_UDP, call_dir[i] ? b : a,
                    call_dir[i] ? a : b, T0 + i * 10000u);
    cap_file_free(&cf);
    check_tshark(path, call_tshark, NCALL);
    unlink(path);
    free(path);
}

UNIT_TEST(capture_pcap_udp4_call)
{
    udp_call("192.0.2.10:5060", "198.51.100.20:5060");
}

UNIT_TEST(capture_pcap_udp6_call)
{
    udp_call("[2001:db8::a]:5060", "[2001:db8:1::14]:5062");
}

/*
 * TCP: one flow carries the whole call in both directions (after a
 * handshake); a second flow, WS over IPv6, carries OPTIONS and its 200.
 * Sequence numbers must run on per direction and acknowledge the peer.
 */
UNIT_TEST(capture_pcap_tcp_flows)
{
    const char *a = "192.0.2.10:40001", *b = "198.51.100.20:5060";
    const char *c = "[2001:db8::a]:40002", *d = "[2001:db8::b]:5060";
    char msgs[NCALL][640];
    make_call(msgs, "TCP", a, b);
    const char *opt = "OPTIONS sip:d SIP/2.0\r\nVia: SIP/2.0/WS c;branch=z9hG4bK-o\r\n"
                      "Max-Forwards: 70\r\nFrom: <sip:c@c>;tag=c1\r\nTo: <sip:d@d>\r\n"
                      "Call-ID: opt@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    const char *ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/WS c;branch=z9hG4bK-o\r\n"
                     "From: <sip:c@c>;tag=c1\r\nTo: <sip:d@d>;tag=d1\r\n"
                     "Call-ID: opt@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    char *path = cap_tmpfile();
    CHECK(path != NULL);
    if (!path)
        return;
    siphon_pcap_writer *w = NULL;
    CHECK_INT(siphon_pcap_writer_open(path, &w, NULL), 0);
    if (!w)
        return;
    write_call(w, msgs, SIPHON_CAPTURE_TCP, a, b);
    siphon_capture_pkt p = cap_pkt(T0 + 100000u, SIPHON_CAPTURE_WS, c, d, opt);
    CHECK_INT(siphon_pcap_write_sip(w, &p), 0);
    p = cap_pkt(T0 + 110000u, SIPHON_CAPTURE_WS, d, c, ok);
    CHECK_INT(siphon_pcap_write_sip(w, &p), 0);
    CHECK_INT(siphon_pcap_writer_frames(w), 3 + NCALL + 3 + 2);
    CHECK_INT(siphon_pcap_writer_close(w), 0);

    cap_file cf;
    CHECK_INT(cap_read(path, &cf), 0);
    CHECK_INT(cf.n, 3 + NCALL + 3 + 2);
    if (cf.n == 3 + NCALL + 3 + 2) {
        const cap_frame *f = cf.f;
        /* SYN, SYN-ACK, ACK from the caller (RFC 9293 §3.5). */
        CHECK_INT(f[0].tcp_flags, 0x02);
        CHECK_INT(f[1].tcp_flags, 0x12);
        CHECK_INT(f[2].tcp_flags, 0x10);
        CHECK_INT(f[1].ack, f[0].seq + 1);
        CHECK_INT(f[2].seq, f[0].seq + 1);
        CHECK_INT(f[2].ack, f[1].seq + 1);
        for (int k = 0; k < 3; k++) {
            CHECK_INT(f[k].len, 0);
            CHECK(f[k].l4_csum_ok);
            CHECK(f[k].ip_csum_ok);
        }
        uint32_t next[2] = {f[0].seq + 1, f[1].seq + 1};
        for (int i = 0; i < NCALL; i++) {
            const cap_frame *g = &f[3 + i];
            int s = call_dir[i];
            check_frame(g, msgs[i], IPPROTO_TCP, s ? b : a, s ? a : b,
                        T0 + (uint64_t)i * 10000u);
            CHECK_INT(g->tcp_flags, 0x18); /* PSH|ACK */
            CHECK_INT(g->seq, next[s]);
            CHECK_INT(g->ack, next[!s]);
            next[s] += (uint32_t)strlen(msgs[i]);
        }
        f += 3 + NCALL;
        CHECK_INT(f[0].family, AF_INET6);
        CHECK_INT(f[0].tcp_flags, 0x02);
        CHECK(f[0].seq != cf.f[0].seq); /* a flow of its own */
        check_frame(&f[3], opt, IPPROTO_TCP, c, d, T0 + 100000u);
        check_frame(&f[4], ok, IPPROTO_TCP, d, c, T0 + 110000u);
        CHECK_INT(f[4].seq, f[1].seq + 1);
        CHECK_INT(f[4].ack, f[0].seq + 1 + strlen(opt));
    }
    cap_file_free(&cf);
    const char *want[NCALL + 2];
    for (int i = 0; i < NCALL; i++)
        want[i] = call_tshark[i];
    want[NCALL] = "OPTIONS\t";
    want[NCALL + 1] = "\t200";
    check_tshark(path, want, NCALL + 2);
    unlink(path);
    free(path);
}

/* A MESSAGE whose body brings the whole message to exactly len bytes. */
static char *big_message(size_t len)
{
    const char *fmt = "MESSAGE sip:bob@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP h;branch=z9hG4bK-big\r\n"
                      "Max-Forwards: 70\r\nFrom: <sip:a@h>;tag=1\r\n"
                      "To: <sip:bob@example.com>\r\nCall-ID: big@test\r\n"
                      "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
                      "Content-Length: %06zu\r\n\r\n";
    size_t hl = (size_t)snprintf(NULL, 0, fmt, (size_t)0);
    char *m = malloc(len + 1);
    if (!m || len < hl)
        return m;
    snprintf(m, len + 1, fmt, len - hl);
    memset(m + hl, 'x', len - hl);
    m[len] = 0;
    return m;
}

/* The largest unfragmented UDP datagrams, and one byte more; a TCP message
 * longer than a segment. */
UNIT_TEST(capture_pcap_limits)
{
    char *m4 = big_message(SIPHON_PCAP_UDP4_MAX + 1);
    char *m6 = big_message(SIPHON_PCAP_UDP6_MAX + 1);
    char *mt = big_message(150000);
    char *path = cap_tmpfile();
    siphon_pcap_writer *w = NULL;
    CHECK(m4 && m6 && mt && path);
    if (!m4 || !m6 || !mt || !path)
        goto out;
    CHECK_INT(siphon_pcap_writer_open(path, &w, NULL), 0);
    if (!w)
        goto out;
    siphon_capture_pkt p = cap_pkt(T0, SIPHON_CAPTURE_UDP, "192.0.2.1:5060",
                                   "192.0.2.2:5060", m4);
    CHECK_INT(siphon_pcap_write_sip(w, &p), SIPHON_ETOOBIG);
    CHECK(strstr(siphon_pcap_writer_error(w), "65507") != NULL);
    free(m4);
    m4 = big_message(SIPHON_PCAP_UDP4_MAX);
    p.payload = m4;
    p.len = SIPHON_PCAP_UDP4_MAX;
    CHECK_INT(siphon_pcap_write_sip(w, &p), 0);
    CHECK_STR(siphon_str_c(siphon_pcap_writer_error(w)), "");

    p = cap_pkt(T0 + 1, SIPHON_CAPTURE_UDP, "[2001:db8::1]:5060",
                "[2001:db8::2]:5060", m6);
    CHECK_INT(siphon_pcap_write_sip(w, &p), SIPHON_ETOOBIG);
    free(m6);
    m6 = big_message(SIPHON_PCAP_UDP6_MAX);
    p.payload = m6;
    p.len = SIPHON_PCAP_UDP6_MAX;
    CHECK_INT(siphon_pcap_write_sip(w, &p), 0);

    p = cap_pkt(T0 + 2, SIPHON_CAPTURE_TCP, "192.0.2.1:40000",
                "192.0.2.2:5060", mt);
    CHECK_INT(siphon_pcap_write_sip(w, &p), 0);
    CHECK_INT(siphon_pcap_writer_frames(w), 2 + 3 + 3);
    CHECK_INT(siphon_pcap_writer_close(w), 0);
    w = NULL;

    cap_file cf;
    CHECK_INT(cap_read(path, &cf), 0);
    CHECK_INT(cf.n, 8);
    if (cf.n == 8) {
        check_frame(&cf.f[0], m4, IPPROTO_UDP, "192.0.2.1:5060",
                    "192.0.2.2:5060", T0);
        CHECK_INT(cf.f[0].caplen, 14 + 20 + 8 + SIPHON_PCAP_UDP4_MAX);
        CHECK_INT(cf.f[1].caplen, 14 + 40 + 8 + SIPHON_PCAP_UDP6_MAX);
        CHECK(cf.f[1].l4_csum_ok && cf.f[1].lengths_ok);
        CHECK(cf.f[1].payload &&
              memcmp(cf.f[1].payload, m6, SIPHON_PCAP_UDP6_MAX) == 0);
        /* 150000 bytes in segments of 65495, in order, reassembling. */
        size_t total = 0;
        for (int i = 5; i < 8; i++) {
            CHECK(cf.f[i].l4_csum_ok);
            CHECK_INT(cf.f[i].seq, cf.f[5].seq + total);
            CHECK(cf.f[i].payload &&
                  memcmp(cf.f[i].payload, mt + total, cf.f[i].len) == 0);
            total += cf.f[i].len;
        }
        CHECK_INT(total, 150000);
    }
    cap_file_free(&cf);
    static const char *const want[] = {"MESSAGE\t", "MESSAGE\t", "MESSAGE\t"};
    check_tshark(path, want, 3);
out:
    siphon_pcap_writer_close(w);
    if (path)
        unlink(path);
    free(path);
    free(m4);
    free(m6);
    free(mt);
}

UNIT_TEST(capture_pcap_bad_input)
{
    char err[SIPHON_CAPTURE_ERRLEN];
    siphon_pcap_writer *w = (siphon_pcap_writer *)&err; /* must be reset */
    CHECK_INT(siphon_pcap_writer_open("/nonexistent-siphon-dir/x.pcap", &w, err),
              SIPHON_EIO);
    CHECK(w == NULL);
    CHECK(strstr(err, "/nonexistent-siphon-dir/x.pcap") != NULL);
    CHECK_INT(siphon_pcap_writer_open(NULL, &w, err), SIPHON_EINVAL);
    CHECK_INT(siphon_pcap_writer_close(NULL), 0);

    char *path = cap_tmpfile();
    CHECK(path != NULL);
    if (!path)
        return;
    CHECK_INT(siphon_pcap_writer_open(path, &w, err), 0);
    if (w) {
        siphon_capture_pkt p = cap_pkt(T0, SIPHON_CAPTURE_UDP, "192.0.2.1:5060",
                                       "192.0.2.2:5060", "OPTIONS");
        siphon_capture_pkt q = p;
        q.src.family = q.dst.family = AF_UNIX;
        CHECK_INT(siphon_pcap_write_sip(w, &q), SIPHON_EINVAL);
        CHECK(strstr(siphon_pcap_writer_error(w), "family") != NULL);
        q = p;
        CHECK_INT(siphon_capture_addr_parse("[::1]:5060", &q.dst), 0);
        CHECK_INT(siphon_pcap_write_sip(w, &q), SIPHON_EINVAL);
        CHECK(strstr(siphon_pcap_writer_error(w), "differ") != NULL);
        q = p;
        q.payload = NULL;
        CHECK_INT(siphon_pcap_write_sip(w, &q), SIPHON_EINVAL);
        q = p;
        q.transport = (siphon_capture_transport)42;
        CHECK_INT(siphon_pcap_write_sip(w, &q), SIPHON_EINVAL);
        CHECK_INT(siphon_pcap_write_sip(w, NULL), SIPHON_EINVAL);
        CHECK_INT(siphon_pcap_write_sip(NULL, &p), SIPHON_EINVAL);
        CHECK_INT(siphon_pcap_writer_frames(w), 0);
        CHECK_INT(siphon_pcap_writer_flush(w), 0);
        CHECK_INT(siphon_pcap_writer_close(w), 0);
    }
    cap_file cf;
    CHECK_INT(cap_read(path, &cf), 0);
    CHECK_INT(cf.n, 0);
    cap_file_free(&cf);
    unlink(path);
    free(path);
}

UNIT_TEST(capture_addr_forms)
{
    siphon_capture_addr a;
    char b[SIPHON_CAPTURE_ADDRSTRLEN];
    CHECK_INT(siphon_capture_addr_parse("10.0.0.1:5060", &a), 0);
    CHECK_INT(a.family, AF_INET);
    CHECK_INT(a.port, 5060);
    CHECK_INT(siphon_capture_addr_format(&a, b, sizeof b), 13);
    CHECK_STR(siphon_str_c(b), "10.0.0.1:5060");
    CHECK_INT(siphon_capture_addr_parse("[2001:DB8:0::1]:65535", &a), 0);
    CHECK_INT(a.family, AF_INET6);
    siphon_capture_addr_format(&a, b, sizeof b);
    CHECK_STR(siphon_str_c(b), "[2001:db8::1]:65535");
    static const char *const bad[] = {"10.0.0.1", "10.0.0.1:", "10.0.0.1:65536",
                                      "[::1]5060", "::1:5060", "host:5060",
                                      "[::1]:x", ":5060", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (siphon_capture_addr_parse(bad[i], &a) != SIPHON_EPARSE)
            unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    a.family = AF_UNIX;
    CHECK_INT(siphon_capture_addr_format(&a, b, sizeof b), SIPHON_EINVAL);
    CHECK_STR(siphon_str_c(b), "?");
    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(5070);
    s6.sin6_addr.s6_addr[15] = 1;
    CHECK_INT(siphon_capture_addr_from_sockaddr((struct sockaddr *)&s6, &a), 0);
    siphon_capture_addr_format(&a, b, sizeof b);
    CHECK_STR(siphon_str_c(b), "[::1]:5070");
    s6.sin6_family = AF_UNIX;
    CHECK_INT(siphon_capture_addr_from_sockaddr((struct sockaddr *)&s6, &a),
              SIPHON_EINVAL);
}
