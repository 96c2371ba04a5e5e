/*
 * test_capture_ladder.c -- ladder diagrams (lib/capture/ladder.c): the
 * exact text of a 3-party call through a proxy, in ASCII and Unicode, with
 * narrow columns, reason truncation, a message to self, non-SIP bytes and
 * a hostile reason phrase.
 */
#include "test_capture_support.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define NMSG 11

/* Alice -> proxy -> Bob: INVITE/100/INVITE/180/180/200/200/ACK/ACK/BYE/200. */
static const struct {
    int from, to;
    unsigned ms;
    const char *first;
} flow[NMSG] = {
    {0, 1, 0, "INVITE sip:bob@example.com SIP/2.0"},
    {1, 0, 4, "SIP/2.0 100 Trying"},
    {1, 2, 6, "INVITE sip:bob@192.0.2.30 SIP/2.0"},
    {2, 1, 150, "SIP/2.0 180 Ringing"},
    {1, 0, 152, "SIP/2.0 180 Ringing"},
    {2, 1, 3210, "SIP/2.0 200 OK"},
    {1, 0, 3212, "SIP/2.0 200 OK"},
    {0, 1, 3300, "ACK sip:bob@192.0.2.30 SIP/2.0"},
    {1, 2, 3302, "ACK sip:bob@192.0.2.30 SIP/2.0"},
    {2, 0, 12345, "BYE sip:alice@192.0.2.10 SIP/2.0"},
    {0, 2, 12350, "SIP/2.0 200 OK"},
};

static const char *const addrs[3] = {"192.0.2.10:5060", "192.0.2.20:5060",
                                     "[2001:db8::30]:5080"};

static char *make_msg(const char *first)
{
    const char *fmt = "%s\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-l\r\n"
                      "From: <sip:alice@example.com>;tag=a\r\n"
                      "To: <sip:bob@example.com>\r\nCall-ID: ladder@test\r\n"
                      "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    size_t n = (size_t)snprintf(NULL, 0, fmt, first);
    char *m = malloc(n + 1);
    if (m)
        snprintf(m, n + 1, fmt, first);
    return m;
}

/* Even entries get a parsed siphon_msg, odd ones raw bytes: both paths. */
typedef struct ladder_fixture {
    siphon_ladder_entry e[NMSG];
    char *text[NMSG];
    siphon_msg *msg[NMSG];
} ladder_fixture;

static void fixture_init(ladder_fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    for (int i = 0; i < NMSG; i++) {
        siphon_ladder_entry *e = &fx->e[i];
        e->ts_us = 1700000000000000ull + flow[i].ms * 1000ull;
        CHECK_INT(siphon_capture_addr_parse(addrs[flow[i].from], &e->src), 0);
        CHECK_INT(siphon_capture_addr_parse(addrs[flow[i].to], &e->dst), 0);
        fx->text[i] = make_msg(flow[i].first);
        CHECK(fx->text[i] != NULL);
        if (!fx->text[i])
            continue;
        if (i % 2 == 0) {
            CHECK_INT(siphon_msg_parse(fx->text[i], strlen(fx->text[i]), NULL,
                                       &fx->msg[i], NULL),
                      0);
            e->msg = fx->msg[i];
        } else {
            e->raw = siphon_str_c(fx->text[i]);
        }
    }
}

static void fixture_free(ladder_fixture *fx)
{
    for (int i = 0; i < NMSG; i++) {
        if (fx->msg[i])
            siphon_msg_unref(fx->msg[i]);
        free(fx->text[i]);
    }
}

static void check_render(const siphon_ladder_entry *e, size_t n,
                         const siphon_ladder_opts *o, const char *want)
{
    siphon_buf b;
    siphon_buf_init(&b, 0);
    CHECK_INT(siphon_ladder_render(e, n, o, &b), 0);
    if (b.len != strlen(want) || memcmp(b.p, want, b.len) != 0)
        unit_fail(__FILE__, __LINE__, "ladder:\n%s\nexpected:\n%s",
                  b.p ? b.p : "", want);
    siphon_buf_free(&b);
}

UNIT_TEST(capture_ladder_three_party)
{
    ladder_fixture fx;
    fixture_init(&fx);
    check_render(fx.e, NMSG, NULL,
        "           192.0.2.10:5060         192.0.2.20:5060       [2001:db8::30]:5080\n"
        "+0.000            |------- INVITE ------->|                       |\n"
        "+0.004            |<---- 100 Trying ------|                       |\n"
        "+0.006            |                       |------- INVITE ------->|\n"
        "+0.150            |                       |<---- 180 Ringing -----|\n"
        "+0.152            |<---- 180 Ringing -----|                       |\n"
        "+3.210            |                       |<------ 200 OK --------|\n"
        "+3.212            |<------ 200 OK --------|                       |\n"
        "+3.300            |--------- ACK -------->|                       |\n"
        "+3.302            |                       |--------- ACK -------->|\n"
        "+12.345           |<-------------------- BYE ---------------------|\n"
        "+12.350           |------------------- 200 OK ------------------->|\n");
    fixture_free(&fx);
}

UNIT_TEST(capture_ladder_unicode_narrow)
{
    ladder_fixture fx;
    fixture_init(&fx);
    /* 12 is widened to 21 so that the IPv6 address fits. */
    siphon_ladder_opts o = {.col_width = 12, .unicode = true};
    check_render(fx.e, 5, &o,
        "          192.0.2.10:5060      192.0.2.20:5060    [2001:db8::30]:5080\n"
        "+0.000           │────── INVITE ─────>│                    │\n"
        "+0.004           │<─── 100 Trying ────│                    │\n"
        "+0.006           │                    │────── INVITE ─────>│\n"
        "+0.150           │                    │<── 180 Ringing ────│\n"
        "+0.152           │<── 180 Ringing ────│                    │\n");
    fixture_free(&fx);
}

/* Narrow columns truncate reasons; a message to itself; bytes that are not
 * SIP; a reason with controls and UTF-8; a message older than the first. */
UNIT_TEST(capture_ladder_edges)
{
    static const char *const texts[] = {
        "SIP/2.0 183 Session Progress\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: e\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        "OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\n"
        "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: e\r\n"
        "CSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        "\x16\x03\x01\x02\x00 not SIP",
        "SIP/2.0 480 Caf\xc3\xa9\x01\xff\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: e\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    };
    static const char *const ends[][2] = {{"10.0.0.2:5060", "10.0.0.1:5060"},
                                          {"10.0.0.1:5060", "10.0.0.1:5060"},
                                          {"10.0.0.1:5060", "10.0.0.3:5060"},
                                          {"10.0.0.3:5060", "10.0.0.1:5060"}};
    static const uint64_t ts[] = {5000000, 5250000, 6000000, 4999000};
    siphon_ladder_entry e[4];
    memset(e, 0, sizeof e);
    for (int i = 0; i < 4; i++) {
        e[i].ts_us = ts[i];
        CHECK_INT(siphon_capture_addr_parse(ends[i][0], &e[i].src), 0);
        CHECK_INT(siphon_capture_addr_parse(ends[i][1], &e[i].dst), 0);
        e[i].raw = siphon_str_c(texts[i]);
    }
    siphon_ladder_opts o = {.col_width = 12};
    check_render(e, 4, &o,
        "        10.0.0.2:5060  10.0.0.1:5060  10.0.0.3:5060\n"
        "+0.000        |- 183 Sessio >|              |\n"
        "+0.250        |              |<-> OPTIONS   |\n"
        "+1.000        |              |----- ? ----->|\n"
        "-0.001        |              |< 480 Caf\xc3\xa9?? -|\n");
    o.unicode = true;
    check_render(e, 4, &o,
        "        10.0.0.2:5060  10.0.0.1:5060  10.0.0.3:5060\n"
        "+0.000        │─ 183 Sessio >│              │\n"
        "+0.250        │              │<─> OPTIONS   │\n"
        "+1.000        │              │───── ? ─────>│\n"
        "-0.001        │              │< 480 Caf\xc3\xa9?? ─│\n");

    siphon_buf b;
    siphon_buf_init(&b, 0);
    CHECK_INT(siphon_ladder_render(NULL, 1, NULL, &b), SIPHON_EINVAL);
    CHECK_INT(siphon_ladder_render(e, 1, NULL, NULL), SIPHON_EINVAL);
    CHECK_INT(siphon_ladder_render(NULL, 0, NULL, &b), 0);
    CHECK_INT(b.len, 0);
    siphon_buf_free(&b);
    /* A ceiling reached half-way is reported. */
    siphon_buf_init(&b, 40);
    CHECK_INT(siphon_ladder_render(e, 4, NULL, &b), SIPHON_ETOOBIG);
    siphon_buf_free(&b);
}

/* opts.sdp marks offers and answers; the marker outlives a long reason. */
UNIT_TEST(capture_ladder_sdp_marker)
{
    static const char *const texts[] = {
        "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: s\r\n"
        "CSeq: 1 INVITE\r\nContent-Type: Application/SDP\r\n"
        "Content-Length: 4\r\n\r\nv=0\n",
        "SIP/2.0 183 Session Progress Early Media\r\n"
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: s\r\n"
        "CSeq: 1 INVITE\r\nContent-Type: application/sdp;charset=utf-8\r\n"
        "Content-Length: 4\r\n\r\nv=0\n",
        "MESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\n"
        "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: s\r\n"
        "CSeq: 2 MESSAGE\r\nContent-Type: application/sdpx\r\n"
        "Content-Length: 4\r\n\r\nv=0\n",
    };
    siphon_ladder_entry e[3];
    memset(e, 0, sizeof e);
    for (int i = 0; i < 3; i++) {
        e[i].ts_us = 1000u * (unsigned)i;
        CHECK_INT(siphon_capture_addr_parse(i == 1 ? "10.0.0.2:5060"
                                                   : "10.0.0.1:5060",
                                            &e[i].src),
                  0);
        CHECK_INT(siphon_capture_addr_parse(i == 1 ? "10.0.0.1:5060"
                                                   : "10.0.0.2:5060",
                                            &e[i].dst),
                  0);
        e[i].raw = siphon_str_c(texts[i]);
    }
    siphon_ladder_opts o = {.sdp = true};
    check_render(e, 3, &o,
        "        10.0.0.1:5060           10.0.0.2:5060\n"
        "+0.000        |---- INVITE (SDP) ---->|\n"
        "+0.001        |< 183 Session P (SDP) -|\n"
        "+0.002        |------- MESSAGE ------>|\n");
    o.sdp = false;
    check_render(e, 3, &o,
        "        10.0.0.1:5060           10.0.0.2:5060\n"
        "+0.000        |------- INVITE ------->|\n"
        "+0.001        |< 183 Session Progres -|\n"
        "+0.002        |------- MESSAGE ------>|\n");
}
