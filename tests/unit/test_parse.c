/*
 * test_parse.c -- the first pass (start line, header index, framing of the
 * body), typed headers of every kind, findings and limits.
 */
#include "unit.h"
#include "support.h"

#include <siphon/msg.h>

#include <stdlib.h>

static siphon_msg *parse_opts(const char *text, const siphon_parse_opts *o, int *rc,
                              siphon_perr *err)
{
    siphon_msg *m = NULL;
    siphon_perr local;
    *rc = siphon_msg_parse(text, strlen(text), o, &m, err ? err : &local);
    return m;
}

static siphon_msg *parse_ok(const char *text)
{
    int rc;
    siphon_perr err;
    siphon_msg *m = parse_opts(text, NULL, &rc, &err);
    if (rc)
        unit_fail(__FILE__, __LINE__, "parse failed: %s (rule %s at %zu)", err.text, err.rule,
                  err.offset);
    return m;
}

static const void *typed(siphon_msg *m, siphon_hdr_id id)
{
    const void *v = NULL;
    siphon_perr err;
    int rc = siphon_msg_typed(m, id, &v, &err);
    if (rc)
        unit_fail(__FILE__, __LINE__, "typed %s: %d %s", siphon_hdr_name(id), rc,
                  rc == SIPHON_EPARSE ? err.text : "");
    return v;
}

#define BASE_REQ                                                                   \
    "INVITE sip:bob@example.com SIP/2.0\r\n"                                       \
    "Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK776;received=2001:db8::9;rport=5071\r\n" \
    "f: \"Alice\" <sip:alice@example.com>;tag=1928\r\n"                           \
    "t: <tel:+1-201-555-0123>\r\n"                                                 \
    "i: a84b4c76e66710\r\n"                                                        \
    "CSeq: 314159 INVITE\r\n"                                                      \
    "Max-Forwards: 70\r\n"

UNIT_TEST(parse_request_basics_and_compact_forms)
{
    siphon_msg *m = parse_ok(BASE_REQ "m: <sip:alice@[2001:db8::1]:5070;transport=tcp>;expires=60;q=0.5\r\n"
                                      "l: 4\r\n\r\nbody");
    if (!m)
        return;
    CHECK(siphon_msg_is_request(m));
    CHECK_INT(siphon_msg_method_id(m), SIPHON_METHOD_INVITE);
    CHECK_STR(siphon_msg_body(m), "body");
    const siphon_via *v = siphon_msg_via(m);
    CHECK(v && v->host_type == SIPHON_HOST_IPV6 && v->port == 5070 && v->rport == 5071);
    if (v) {
        CHECK_STR(v->host, "[2001:db8::1]");
        CHECK_STR(v->received, "2001:db8::9");
        CHECK_STR(v->branch, "z9hG4bK776");
    }
    const siphon_nameaddr *to = siphon_msg_to(m);
    CHECK(to && uri_of(m, to)->scheme == SIPHON_URI_TEL && uri_of(m, to)->global);
    const siphon_nameaddr *c = siphon_msg_contact(m);
    CHECK(c && c->expires == 60 && c->q == 500 && uri_of(m, c)->port == 5070);
    CHECK_STR(siphon_msg_call_id(m), "a84b4c76e66710");
    CHECK_INT(siphon_msg_hdr_next_name(m, "CALL-ID", 7, 0), 3);
    CHECK_INT(siphon_msg_hdr_next_name(m, "i", 1, 0), 3);
    siphon_msg_unref(m);
}

UNIT_TEST(parse_methods_are_case_sensitive)
{
    siphon_msg *m = parse_ok("invite sip:b@example.com SIP/2.0\r\nCSeq: 1 invite\r\n\r\n");
    if (!m)
        return;
    CHECK_INT(siphon_msg_method_id(m), SIPHON_METHOD_OTHER);
    CHECK_STR(siphon_msg_method(m), "invite");
    siphon_msg_unref(m);
}

UNIT_TEST(parse_response_and_reason_phrases)
{
    siphon_msg *m = parse_ok("SIP/2.0 180 Ringing now\r\nContent-Length: 0\r\n\r\n");
    if (m) {
        CHECK(!siphon_msg_is_request(m));
        CHECK_INT(siphon_msg_status(m), 180);
        CHECK_STR(siphon_msg_reason(m), "Ringing now");
        siphon_msg_unref(m);
    }
    int rc;
    siphon_perr err;
    m = parse_opts("SIP/2.0 1800 Ringing\r\n\r\n", NULL, &rc, &err);
    CHECK_INT(rc, SIPHON_EPARSE);
    CHECK(!strcmp(err.rule, "Status-Code") && err.offset == 8);
    m = parse_opts("SIP/2.0 099 Low\r\n\r\n", NULL, &rc, &err);
    CHECK_INT(rc, SIPHON_EPARSE);
}

UNIT_TEST(parse_folding_and_unfold_print)
{
    siphon_msg *m = parse_ok("OPTIONS sip:x@example.com SIP/2.0\r\n"
                             "Subject: first\r\n  second\r\n\tthird\r\n"
                             "Via: SIP/2.0/UDP h.example.com\r\n ;branch=z9hG4bK1\r\n\r\n");
    if (!m)
        return;
    CHECK_INT(siphon_msg_hdr_count(m), 2);
    const siphon_via *v = siphon_msg_via(m);
    CHECK(v && v->has_branch);
    siphon_buf b;
    siphon_buf_init(&b, 0);
    CHECK_INT(siphon_msg_print(m, SIPHON_PRINT_CANONICAL, &b), 0);
    CHECK(b.p && strstr(b.p, "Subject: first second third\r\n") != NULL);
    siphon_buf_free(&b);
    siphon_msg_unref(m);
}

UNIT_TEST(parse_errors_name_offset_header_rule)
{
    int rc;
    siphon_perr err;
    siphon_msg *m = parse_opts("OPTIONS sip:x@example.com SIP/2.0\r\nBad Header\r\n\r\n", NULL,
                               &rc, &err);
    CHECK(!m && rc == SIPHON_EPARSE);
    CHECK(!strcmp(err.rule, "HCOLON") && err.offset == 35);
    m = parse_opts("OPTIONS sip:x@example.com SIP/2.0\r\nl: 10\r\n\r\nabc", NULL, &rc, &err);
    CHECK(!m && rc == SIPHON_EPARSE);
    CHECK(err.header && !strcmp(err.header, "Content-Length"));
    m = parse_opts("OPTIONS sip:x@example.com\r\n\r\n", NULL, &rc, &err);
    CHECK(!m && rc == SIPHON_EPARSE);
    m = parse_opts("", NULL, &rc, &err);
    CHECK(!m && rc == SIPHON_EPARSE);
    /* brackets or LWS stripped from the Request-URI must leave a URI */
    m = parse_opts("OPTIONS <> SIP/2.0\r\n\r\n", NULL, &rc, &err);
    CHECK(!m && rc == SIPHON_EPARSE && !strcmp(err.rule, "Request-URI"));
    m = parse_opts("OPTIONS < > SIP/2.0\r\n\r\n", NULL, &rc, &err);
    CHECK(!m && rc == SIPHON_EPARSE);
    m = parse_opts("\r\n\r\n", NULL, &rc, &err);
    CHECK(!m && rc == SIPHON_EPARSE);
}

UNIT_TEST(parse_typed_errors_are_cached_with_location)
{
    siphon_msg *m = parse_ok("OPTIONS sip:x@example.com SIP/2.0\r\nTo: \"unterminated <sip:a@b>\r\n\r\n");
    if (!m)
        return;
    const void *v;
    siphon_perr err;
    CHECK_INT(siphon_msg_typed(m, SIPHON_HDR_TO, &v, &err), SIPHON_EPARSE);
    CHECK(!strcmp(err.header, "To") && !strcmp(err.rule, "quoted-string") && err.offset == 39);
    memset(&err, 0, sizeof err);
    CHECK_INT(siphon_msg_typed(m, SIPHON_HDR_TO, &v, &err), SIPHON_EPARSE);
    CHECK(err.rule && !strcmp(err.rule, "quoted-string"));
    CHECK_INT(siphon_msg_typed(m, SIPHON_HDR_FROM, &v, &err), SIPHON_ENOENT);
    CHECK_INT(siphon_msg_typed(m, SIPHON_HDR_SUBJECT, &v, &err), SIPHON_EINVAL);
    siphon_msg_unref(m);
}

UNIT_TEST(parse_limits)
{
    siphon_parse_opts o;
    siphon_parse_opts_default(&o);
    o.max_headers = 2;
    int rc;
    siphon_perr err;
    siphon_msg *m = parse_opts("OPTIONS sip:x@example.com SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &o,
                               &rc, &err);
    CHECK(!m && rc == SIPHON_ETOOBIG);
    siphon_parse_opts_default(&o);
    o.max_line = 20;
    m = parse_opts("OPTIONS sip:x@example.com SIP/2.0\r\n\r\n", &o, &rc, &err);
    CHECK(!m && rc == SIPHON_ETOOBIG);
    siphon_parse_opts_default(&o);
    o.max_msg_size = 10;
    m = parse_opts("OPTIONS sip:x@example.com SIP/2.0\r\n\r\n", &o, &rc, &err);
    CHECK(!m && rc == SIPHON_ETOOBIG);
}

UNIT_TEST(parse_stream_requires_content_length)
{
    siphon_parse_opts o;
    siphon_parse_opts_default(&o);
    o.stream = true;
    int rc;
    siphon_perr err;
    siphon_msg *m = parse_opts("OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n", &o,
                               &rc, &err);
    CHECK(!m && rc == SIPHON_EPARSE && !strcmp(err.rule, "Content-Length"));
    m = parse_opts("OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n", NULL, &rc, &err);
    CHECK(m && rc == 0);
    siphon_msg_unref(m);
}

UNIT_TEST(parse_bare_lf_is_tolerated_then_strict_refuses)
{
    const char *t = "OPTIONS sip:x@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n\n";
    siphon_msg *m = parse_ok(t);
    CHECK(m && siphon_msg_findings(m) && !strcmp(siphon_msg_findings(m)->rule, "bare-lf"));
    siphon_msg_unref(m);
    siphon_parse_opts o;
    siphon_parse_opts_default(&o);
    o.strict = true;
    int rc;
    m = parse_opts(t, &o, &rc, NULL);
    CHECK(!m && rc == SIPHON_EPARSE);
}

UNIT_TEST(parse_typed_misc_headers)
{
    siphon_msg *m = parse_ok(
        "SUBSCRIBE sip:x@example.com SIP/2.0\r\n"
        "Event: presence;id=7\r\n"
        "Subscription-State: active;expires=600\r\n"
        "Session-Expires: 1800;refresher=uac\r\n"
        "Min-SE: 90\r\n"
        "RSeq: 988789\r\n"
        "RAck: 776656 1 INVITE\r\n"
        "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472\r\n"
        "Retry-After: 18000 (in a meeting);duration=3600\r\n"
        "Reason: SIP;cause=200;text=\"Call completed elsewhere\", Q.850;cause=16\r\n"
        "Content-Type: multipart/mixed; boundary=\"xyz\"\r\n"
        "Accept: application/sdp, application/pidf+xml;q=0.5\r\n"
        "Allow: INVITE, ACK, BYE\r\n"
        "Supported:\r\n"
        "Require: 100rel\r\n"
        "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
        "Timestamp: 54.2 0.5\r\n"
        "Warning: 370 devnull \"Choose a bigger pipe\", 399 [2001:db8::1]:5060 \"x\"\r\n"
        "User-Agent: Softphone/Beta1.5 (Linux) siphon\r\n"
        "WWW-Authenticate: Digest realm=\"atlanta.com\", nonce=\"84a4cc6f\", qop=\"auth\", algorithm=SHA-256\r\n"
        "Authentication-Info: nextnonce=\"47364c23432d2e131a5fb210812c\"\r\n"
        "Expires: 4294967296\r\n"
        "\r\n");
    if (!m)
        return;
    const siphon_hval *h = typed(m, SIPHON_HDR_EVENT);
    CHECK(h && siphon_params_find(&h->params, "id"));
    if (h)
        CHECK_STR(h->value, "presence");
    h = typed(m, SIPHON_HDR_SESSION_EXPIRES);
    CHECK(h && h->num == 1800 && siphon_params_find(&h->params, "refresher"));
    const siphon_rack *r = typed(m, SIPHON_HDR_RACK);
    CHECK(r && r->rseq == 776656 && r->cseq == 1 && r->method_id == SIPHON_METHOD_INVITE);
    h = typed(m, SIPHON_HDR_REPLACES);
    if (h)
        CHECK_STR(h->value, "425928@bobster.example.org");
    h = typed(m, SIPHON_HDR_RETRY_AFTER);
    CHECK(h && h->num == 18000);
    if (h)
        CHECK_STR(h->comment, "in a meeting");
    h = typed(m, SIPHON_HDR_REASON);
    CHECK(h && h->next && !h->next->next);
    h = typed(m, SIPHON_HDR_CONTENT_TYPE);
    if (h) {
        CHECK_STR(h->value, "multipart");
        CHECK_STR(h->subtype, "mixed");
    }
    h = typed(m, SIPHON_HDR_ACCEPT);
    CHECK(h && h->next && !h->next->next);
    h = typed(m, SIPHON_HDR_ALLOW);
    CHECK(h && h->next && h->next->next && !h->next->next->next);
    const void *v;
    CHECK_INT(siphon_msg_typed(m, SIPHON_HDR_SUPPORTED, &v, NULL), SIPHON_ENOENT);
    const siphon_date *d = typed(m, SIPHON_HDR_DATE);
    CHECK(d && d->gmt && d->epoch == 1289690940);
    const siphon_timestamp *ts = typed(m, SIPHON_HDR_TIMESTAMP);
    if (ts) {
        CHECK_STR(ts->value, "54.2");
        CHECK_STR(ts->delay, "0.5");
    }
    const siphon_warning *w = typed(m, SIPHON_HDR_WARNING);
    CHECK(w && w->code == 370 && w->next && w->next->code == 399);
    const siphon_product *p = typed(m, SIPHON_HDR_USER_AGENT);
    CHECK(p && p->next && p->next->comment && p->next->next);
    const siphon_auth *a = typed(m, SIPHON_HDR_WWW_AUTHENTICATE);
    CHECK(a && a->params.n == 4);
    if (a)
        CHECK_STR(a->scheme, "Digest");
    a = typed(m, SIPHON_HDR_AUTHENTICATION_INFO);
    CHECK(a && a->params.n == 1);
    h = typed(m, SIPHON_HDR_EXPIRES);
    CHECK(h && h->num == 4294967295u);
    bool clamped = false;
    for (const siphon_finding *f = siphon_msg_findings(m); f; f = f->next)
        clamped |= !strcmp(f->rule, "number-overlarge");
    CHECK(clamped);
    siphon_msg_unref(m);
}

UNIT_TEST(parse_contact_star_and_lists)
{
    siphon_msg *m = parse_ok("REGISTER sip:example.com SIP/2.0\r\nContact: *\r\n"
                             "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
                             "Route: <sip:p3.example.com;lr>\r\n\r\n");
    if (!m)
        return;
    const siphon_nameaddr *c = siphon_msg_contact(m);
    CHECK(c && c->star);
    int n = 0;
    for (const siphon_nameaddr *r = typed(m, SIPHON_HDR_ROUTE); r; r = r->next)
        n++;
    CHECK_INT(n, 3);
    siphon_msg_unref(m);
}

/* ---- framing ------------------------------------------------------------ */

UNIT_TEST(frame_incremental_and_keepalives)
{
    const char *msg = "OPTIONS sip:x@example.com SIP/2.0\r\nl: 3\r\n\r\nabc";
    size_t total = strlen(msg);
    siphon_framer f;
    siphon_framer_init(&f);
    size_t fl;
    siphon_perr err;
    for (size_t n = 0; n < total; n++)
        CHECK_INT(siphon_frame_stream(&f, msg, n, NULL, &fl, &err), SIPHON_FRAME_NEED_MORE);
    CHECK_INT(siphon_frame_stream(&f, msg, total, NULL, &fl, &err), SIPHON_FRAME_MESSAGE);
    CHECK_INT(fl, total);
    siphon_framer_init(&f);
    CHECK_INT(siphon_frame_stream(&f, "\r\n\r\nOPT", 7, NULL, &fl, &err), SIPHON_FRAME_PING);
    CHECK_INT(fl, 4);
    CHECK_INT(siphon_frame_stream(&f, "\r\nOPT", 5, NULL, &fl, &err), SIPHON_FRAME_PONG);
    CHECK_INT(fl, 2);
    CHECK_INT(siphon_frame_stream(&f, "\r\n\r", 3, NULL, &fl, &err), SIPHON_FRAME_NEED_MORE);
    siphon_framer_init(&f);
    CHECK_INT(siphon_frame_stream(&f, "OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n", 33, NULL, &fl, &err),
              SIPHON_EPARSE);
    CHECK(!strcmp(err.rule, "Content-Length"));
}

UNIT_TEST(frame_two_messages_back_to_back)
{
    const char *two = "BYE sip:x@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"
                      "ACK sip:x@example.com SIP/2.0\r\nContent-Length: 2\r\n\r\nhi";
    siphon_framer f;
    siphon_framer_init(&f);
    size_t fl;
    CHECK_INT(siphon_frame_stream(&f, two, strlen(two), NULL, &fl, NULL), SIPHON_FRAME_MESSAGE);
    CHECK_INT(fl, 52);
    siphon_framer_init(&f);
    size_t fl2;
    CHECK_INT(siphon_frame_stream(&f, two + fl, strlen(two) - fl, NULL, &fl2, NULL),
              SIPHON_FRAME_MESSAGE);
    CHECK_INT(fl + fl2, strlen(two));
}

UNIT_TEST(frame_limits)
{
    siphon_parse_opts o;
    siphon_parse_opts_default(&o);
    o.stream = true;
    o.max_msg_size = 100;
    siphon_framer f;
    siphon_framer_init(&f);
    size_t fl;
    siphon_perr err;
    CHECK_INT(siphon_frame_stream(&f, "OPTIONS sip:x SIP/2.0\r\nl: 1000\r\n\r\n", 35, &o, &fl, &err),
              SIPHON_ETOOBIG);
}

UNIT_TEST(parse_hdr_lookup_table)
{
    CHECK_INT(siphon_hdr_lookup("VIA", 3), SIPHON_HDR_VIA);
    CHECK_INT(siphon_hdr_lookup("v", 1), SIPHON_HDR_VIA);
    CHECK_INT(siphon_hdr_lookup("www-authenticate", 16), SIPHON_HDR_WWW_AUTHENTICATE);
    CHECK_INT(siphon_hdr_lookup("X-Custom", 8), SIPHON_HDR_OTHER);
    for (int id = 1; id < SIPHON_HDR__COUNT; id++) {
        const char *n = siphon_hdr_name((siphon_hdr_id)id);
        CHECK(n != NULL);
        if (n)
            CHECK_INT(siphon_hdr_lookup(n, strlen(n)), id);
        char c = siphon_hdr_compact((siphon_hdr_id)id);
        if (c)
            CHECK_INT(siphon_hdr_lookup(&c, 1), id);
    }
    CHECK_INT(siphon_method_lookup("", 0), SIPHON_METHOD_OTHER);
    CHECK(!strcmp(siphon_strerror(SIPHON_EPARSE), "malformed input"));
    CHECK(!strcmp(siphon_errname(SIPHON_ETOOBIG), "SIPHON_ETOOBIG"));
}

UNIT_TEST(parse_uri_hosts)
{
    static const struct {
        const char *uri;
        int type; /* 0: refused */
        const char *host;
    } cases[] = {
        {"sip:a@192.0.2.1", SIPHON_HOST_IPV4, "192.0.2.1"},
        {"sip:a@192.0.2.1:5060", SIPHON_HOST_IPV4, "192.0.2.1"},
        {"sip:a@255.255.255.255", SIPHON_HOST_IPV4, "255.255.255.255"},
        {"sip:a@256.1.1.1", 0, NULL},
        {"sip:a@1.2.3", 0, NULL},
        {"sip:a@", 0, NULL},
        {"sip:", 0, NULL},
        {"sip:a@1.2.3.4.5", 0, NULL},
        {"sip:a@1234.1.1.1", 0, NULL},
        {"sip:a@example.com", SIPHON_HOST_NAME, "example.com"},
        {"sip:a@example.com.", SIPHON_HOST_NAME, "example.com."},
        {"sip:a@1.2.3.example", SIPHON_HOST_NAME, "1.2.3.example"},
        {"sip:a@a..b", 0, NULL},
        {"sip:a@.example.com", 0, NULL},
        {"sip:a@-bad.example.com", 0, NULL},
        {"sip:a@example.123", 0, NULL},
        {"sip:a@[2001:db8::1]:5060", SIPHON_HOST_IPV6, "[2001:db8::1]"},
        {"sip:a@[2001:db8::1", 0, NULL},
        {"sip:host_name.example.com", SIPHON_HOST_NAME, "host_name.example.com"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        siphon_arena a;
        siphon_arena_init(&a, NULL, 0);
        siphon_uri u;
        siphon_perr err;
        int rc = siphon_uri_parse(&a, cases[i].uri, strlen(cases[i].uri), &u, &err);
        if (cases[i].type == 0) {
            if (rc != SIPHON_EPARSE)
                unit_fail(__FILE__, __LINE__, "%s: accepted", cases[i].uri);
        } else if (rc != 0) {
            unit_fail(__FILE__, __LINE__, "%s: %s", cases[i].uri, err.text);
        } else {
            CHECK_INT(u.host_type, cases[i].type);
            CHECK_STR(u.host, cases[i].host);
        }
        siphon_arena_free(&a);
    }
}

UNIT_TEST(parse_cseq_numbers)
{
    static const struct {
        const char *value;
        long long num; /* -1: refused */
    } cases[] = {
        {"1 INVITE", 1},
        {"0009 INVITE", 9},
        {"00000000000000000000001 INVITE", 1},
        {"4294967295 INVITE", 4294967295ll},
        {"4294967296 INVITE", -1},
        {"36893488147419103232 INVITE", -1},
        {"INVITE", -1},
        {"12INVITE", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "INVITE sip:a@example.com SIP/2.0\r\nCSeq: %s\r\n\r\n",
                 cases[i].value);
        siphon_msg *m = NULL;
        CHECK_INT(siphon_msg_parse(text, strlen(text), NULL, &m, NULL), 0);
        if (!m)
            continue;
        const siphon_cseq *cs = siphon_msg_cseq(m);
        if (cases[i].num < 0)
            CHECK(cs == NULL);
        else
            CHECK(cs && cs->num == (uint32_t)cases[i].num);
        siphon_msg_unref(m);
    }
}

UNIT_TEST(parse_buf_append_uint)
{
    siphon_buf b;
    siphon_buf_init(&b, 0);
    CHECK_INT(siphon_buf_append_uint(&b, 7, 3), 0);
    CHECK_INT(siphon_buf_append_uint(&b, 0, 1), 0);
    CHECK_INT(siphon_buf_append_uint(&b, 18446744073709551615ull, 1), 0);
    CHECK_INT(siphon_buf_append_uint(&b, 200, 3), 0);
    CHECK(b.p && strcmp(b.p, "007018446744073709551615200") == 0);
    siphon_buf_free(&b);
}

/* RFC 3261 §25.1: qdtext has no control octets; one inside a quoted
 * parameter value or display name makes the field invalid (found by
 * fuzz_reg: a NUL in +sip.instance was accepted, then broke the copy
 * into a response). */
UNIT_TEST(parse_control_octet_in_quoted_string)
{
    static const char fmt[] =
        "REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: c\r\n"
        "CSeq: 1 REGISTER\r\nContact: %s\r\nContent-Length: 0\r\n\r\n";
    const char *bad[] = {"<sip:a@h>;+sip.instance=\"<urn:\x01x>\"",
                         "\"Al\x7f\" <sip:a@h>"};
    for (size_t i = 0; i < 2; i++) {
        char buf[512];
        int n = snprintf(buf, sizeof buf, fmt, bad[i]);
        siphon_verdict v;
        siphon_verdict_bytes(buf, (size_t)n, NULL, &v, NULL);
        CHECK_INT(v.kind, SIPHON_VERDICT_REJECT);
        CHECK_INT(v.status, 400);
        CHECK(strstr(v.where.text, "control octet") != NULL);
        CHECK_STR(siphon_str_c(v.where.rule), "quoted-string");
    }
    /* Escaped, the same octet is a quoted-pair and fine. */
    char ok[512];
    int n = snprintf(ok, sizeof ok, fmt, "\"Al\\\x01\" <sip:a@h>");
    siphon_verdict v;
    siphon_verdict_bytes(ok, (size_t)n, NULL, &v, NULL);
    CHECK_INT(v.kind, SIPHON_VERDICT_ACCEPT);
}
