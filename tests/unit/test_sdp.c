/*
 * test_sdp.c -- SDP parsing and printing (lib/sdp).
 *
 * RFC 8866 §5 (the example session, line order, CRLF), the parser's
 * tolerance (unknown and malformed lines kept with findings, LF line
 * ends, missing mandatory lines, duplicates), limits, the builder and the
 * round-trip invariant parse -> print -> parse on every body used.
 */
#include "unit.h"

#include <siphon/sdp.h>

#include <stdlib.h>

/* Parse, print, re-parse: equal sessions and a stable printed form.
 * Returns the first parse (caller frees) or NULL. */
static siphon_sdp *roundtrip(const char *file, int line, const char *body)
{
    siphon_sdp *a = NULL, *b = NULL;
    siphon_perr err;
    int rc = siphon_sdp_parse(body, strlen(body), NULL, &a, &err);
    if (rc != 0) {
        unit_fail(file, line, "parse failed: %d %s at %zu: %s", rc,
                  err.rule ? err.rule : "?", err.offset, err.text);
        return NULL;
    }
    siphon_buf p1, p2;
    siphon_buf_init(&p1, 0);
    siphon_buf_init(&p2, 0);
    if (siphon_sdp_print(a, &p1) != 0)
        unit_fail(file, line, "print failed");
    else if (siphon_sdp_parse(p1.p, p1.len, NULL, &b, &err) != 0)
        unit_fail(file, line, "re-parse failed: %s", err.text);
    else if (!siphon_sdp_equal(a, b))
        unit_fail(file, line, "parse(print(x)) differs from parse(x):\n%.*s",
                  (int)p1.len, p1.p);
    else if (siphon_sdp_print(b, &p2) != 0 || p1.len != p2.len ||
             memcmp(p1.p, p2.p, p1.len) != 0)
        unit_fail(file, line, "print is not stable");
    siphon_sdp_free(b);
    siphon_buf_free(&p1);
    siphon_buf_free(&p2);
    return a;
}
#define ROUNDTRIP(body) roundtrip(__FILE__, __LINE__, body)

/* The printed form of s as a malloc'd C string. */
static char *printed(const siphon_sdp *s)
{
    siphon_buf b;
    siphon_buf_init(&b, 0);
    if (siphon_sdp_print(s, &b) != 0 || siphon_buf_append(&b, "", 1) != 0) {
        siphon_buf_free(&b);
        return NULL;
    }
    size_t n;
    return siphon_buf_take(&b, &n);
}

static bool has_finding(const siphon_sdp *s, const char *rule, uint32_t line)
{
    for (size_t i = 0; i < s->nfindings; i++)
        if (strcmp(s->findings[i].rule, rule) == 0 &&
            (line == 0 || s->findings[i].line == line))
            return true;
    return false;
}

/* RFC 8866 §5 example, canonical: prints back byte for byte. */
static const char rfc8866_example[] =
    "v=0\r\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
    "s=Call to John Smith\r\n"
    "i=SDP Offer #1\r\n"
    "u=http://www.jdoe.example.com/home.html\r\n"
    "e=Jane Doe <jane@jdoe.example.com>\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "m=audio 49180 RTP/AVP 0\r\n"
    "m=video 51372 RTP/AVP 99\r\n"
    "c=IN IP6 2001:db8::2\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n";

UNIT_TEST(sdp_rfc8866_example)
{
    siphon_sdp *s = ROUNDTRIP(rfc8866_example);
    if (!s)
        return;
    CHECK_INT(s->nfindings, 0);
    CHECK(s->has_version);
    CHECK_INT(s->version, 0);
    CHECK_STR(s->origin.username, "jdoe");
    CHECK_STR(s->origin.sess_id, "3724394400");
    CHECK_STR(s->origin.sess_version, "3724394405");
    CHECK(s->origin.version == 3724394405u);
    CHECK_STR(s->origin.nettype, "IN");
    CHECK_STR(s->origin.addrtype, "IP4");
    CHECK_STR(s->origin.address, "198.51.100.1");
    CHECK_STR(s->name, "Call to John Smith");
    CHECK_STR(s->info, "SDP Offer #1");
    CHECK_STR(s->uri, "http://www.jdoe.example.com/home.html");
    CHECK_INT(s->nemails, 1);
    CHECK_STR(s->emails[0], "Jane Doe <jane@jdoe.example.com>");
    CHECK_INT(s->nphones, 1);
    CHECK_STR(s->phones[0], "+1 617 555-6011");
    CHECK(s->has_conn);
    CHECK_STR(s->conn.host, "198.51.100.1");
    CHECK_INT(s->ntimes, 1);
    CHECK_INT(s->times[0].start, 0);
    CHECK_INT(s->nmedia, 3);
    if (s->nmedia == 3) {
        const siphon_sdp_media *v = s->media[2];
        CHECK_STR(s->media[0]->media, "audio");
        CHECK_INT(s->media[0]->port, 49170);
        CHECK_STR(s->media[1]->proto, "RTP/AVP");
        CHECK_INT(s->media[1]->port, 49180);
        CHECK_STR(v->media, "video");
        CHECK_INT(v->nfmts, 1);
        CHECK_STR(v->fmts[0], "99");
        CHECK_INT(v->nconns, 1);
        CHECK_STR(v->conns[0].addrtype, "IP6");
        CHECK_STR(siphon_sdp_media_host(s, v), "2001:db8::2");
        CHECK_STR(siphon_sdp_media_host(s, s->media[0]), "198.51.100.1");
        siphon_sdp_codec c;
        siphon_sdp_media_codec(v, 0, &c);
        CHECK_INT(c.pt, 99);
        CHECK_STR(c.name, "h263-1998");
        CHECK_INT(c.rate, 90000);
        CHECK(c.has_rtpmap);
        siphon_sdp_media_codec(s->media[0], 0, &c);
        CHECK_STR(c.name, "PCMU");
        CHECK_INT(c.rate, 8000);
        CHECK(!c.has_rtpmap);
        CHECK_INT(siphon_sdp_media_dir(s, v), SIPHON_SDP_SENDRECV);
    }
    char *out = printed(s);
    CHECK(out && strcmp(out, rfc8866_example) == 0);
    free(out);
    siphon_sdp_free(s);
}

UNIT_TEST(sdp_typed_attributes)
{
    static const char body[] =
        "v=0\r\n"
        "o=- 1 2 IN IP6 2001:db8::1\r\n"
        "s=-\r\n"
        "c=IN IP4 233.252.0.1/127/3\r\n"
        "b=CT:128\r\n"
        "t=3034423619 3042462419\r\n"
        "r=604800 3600 0 90000\r\n"
        "r=7d 1h 0 25h\r\n"
        "z=2882844526 -1h 2898848070 0\r\n"
        "a=group:BUNDLE a1 v1\r\n"
        "a=recvonly\r\n"
        "m=audio 49170/2 RTP/AVP 0 96 101\r\n"
        "b=AS:64\r\n"
        "a=rtpmap:96 opus/48000/2\r\n"
        "a=fmtp:96 minptime=10;useinbandfec=1\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-16\r\n"
        "a=ptime:20\r\n"
        "a=maxptime:60.5\r\n"
        "a=rtcp:53020 IN IP4 198.51.100.7\r\n"
        "a=mid:a1\r\n"
        "a=sendonly\r\n"
        "m=video 0 RTP/AVP 31\r\n"
        "a=mid:v1\r\n";
    siphon_sdp *s = ROUNDTRIP(body);
    if (!s)
        return;
    char *out = printed(s);
    CHECK(out && strcmp(out, body) == 0);
    free(out);
    CHECK_INT(s->nfindings, 0);
    CHECK_STR(s->conn.address, "233.252.0.1/127/3");
    CHECK_STR(s->conn.host, "233.252.0.1");
    CHECK_INT(s->nbws, 1);
    CHECK_STR(s->bws[0].type, "CT");
    CHECK_INT(s->bws[0].value, 128);
    CHECK(s->times[0].start == 3034423619u);
    CHECK_INT(s->times[0].nrepeats, 2);
    CHECK_STR(s->times[0].repeats[1], "7d 1h 0 25h");
    CHECK_STR(s->zone, "2882844526 -1h 2898848070 0");
    const siphon_sdp_attr *g = siphon_sdp_attr_find(s->attrs, s->nattrs,
                                                    "group");
    CHECK(g && g->has_value);
    if (g)
        CHECK_STR(g->value, "BUNDLE a1 v1");
    CHECK_INT(siphon_sdp_media_dir(s, NULL), SIPHON_SDP_RECVONLY);
    if (s->nmedia == 2) {
        const siphon_sdp_media *a = s->media[0];
        CHECK_INT(a->nports, 2);
        CHECK_INT(siphon_sdp_media_dir(s, a), SIPHON_SDP_SENDONLY);
        /* Media without a direction inherits the session's (§6.7). */
        CHECK_INT(siphon_sdp_media_dir(s, s->media[1]), SIPHON_SDP_RECVONLY);
        siphon_sdp_codec c;
        siphon_sdp_media_codec(a, 1, &c);
        CHECK_STR(c.name, "opus");
        CHECK_INT(c.rate, 48000);
        CHECK_INT(c.channels, 2);
        CHECK_STR(c.fmtp, "minptime=10;useinbandfec=1");
        siphon_sdp_media_codec(a, 2, &c);
        CHECK_STR(c.name, "telephone-event");
        CHECK_STR(c.fmtp, "0-16");
        CHECK_INT(siphon_sdp_media_ptime(a, false), 20);
        CHECK_INT(siphon_sdp_media_ptime(a, true), 60);
        const siphon_sdp_attr *r = siphon_sdp_attr_find(a->attrs, a->nattrs,
                                                        "rtcp");
        uint32_t port = 0;
        siphon_str addr;
        CHECK(r && siphon_sdp_parse_rtcp(r->value, &port, &addr) == 0);
        CHECK_INT(port, 53020);
        CHECK_STR(addr, "198.51.100.7");
        const siphon_sdp_attr *mid = siphon_sdp_attr_find(a->attrs,
                                                          a->nattrs, "mid");
        CHECK(mid != NULL);
        if (mid)
            CHECK_STR(mid->value, "a1");
        CHECK(siphon_sdp_media_on_hold(s, a));
    }
    siphon_sdp_free(s);
}

/* Unknown types and garbage are kept where they were, with findings. */
UNIT_TEST(sdp_unknown_and_garbage_lines)
{
    static const char body[] =
        "v=0\r\n"
        "o=- 1 1 IN IP4 192.0.2.1\r\n"
        "s=-\r\n"
        "x=unknown session line\r\n"
        "c=IN IP4 192.0.2.1\r\n"
        "t=0 0\r\n"
        "this is garbage\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "y=unknown media line\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "=bad\r\n";
    siphon_sdp *s = ROUNDTRIP(body);
    if (!s)
        return;
    CHECK(has_finding(s, "unknown-line", 4));
    CHECK(has_finding(s, "malformed-line", 7));
    CHECK(has_finding(s, "unknown-line", 9));
    CHECK(has_finding(s, "malformed-line", 11));
    CHECK_INT(s->nextra, 2);
    if (s->nextra == 2) {
        CHECK_STR(s->extra[0].text, "x=unknown session line");
        CHECK_INT(s->extra[0].anchor, 's');
        CHECK_INT(s->extra[0].line, 4);
        CHECK_STR(s->extra[1].text, "this is garbage");
        CHECK_INT(s->extra[1].anchor, 't');
    }
    CHECK_INT(s->nmedia, 1);
    if (s->nmedia == 1)
        CHECK_INT(s->media[0]->nextra, 2);
    /* The order was canonical: the bytes come back unchanged. */
    char *out = printed(s);
    CHECK(out && strcmp(out, body) == 0);
    free(out);
    siphon_sdp_free(s);
}

UNIT_TEST(sdp_lf_line_ends)
{
    static const char body[] = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\n"
                               "c=IN IP4 192.0.2.1\nt=0 0\n"
                               "m=audio 4000 RTP/AVP 8\n";
    siphon_sdp *s = ROUNDTRIP(body);
    if (!s)
        return;
    CHECK(has_finding(s, "lf-line-end", 1));
    CHECK_INT(s->nfindings, 1);
    /* Strict mode refuses what lenient mode notes. */
    siphon_sdp_opts o;
    siphon_sdp_opts_default(&o);
    o.strict = true;
    siphon_sdp *t = NULL;
    siphon_perr err;
    CHECK_INT(siphon_sdp_parse(body, strlen(body), &o, &t, &err),
              SIPHON_EPARSE);
    CHECK(t == NULL && err.rule && strcmp(err.rule, "lf-line-end") == 0);
    CHECK_INT(err.offset, 0);
    CHECK_INT(siphon_sdp_parse(rfc8866_example, strlen(rfc8866_example), &o,
                               &t, &err),
              0);
    siphon_sdp_free(t);
    CHECK_INT(s->nmedia, 1);
    char *out = printed(s);
    CHECK(out && strcmp(out, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
                             "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
                             "m=audio 4000 RTP/AVP 8\r\n") == 0);
    free(out);
    siphon_sdp_free(s);
}

UNIT_TEST(sdp_missing_lines)
{
    /* No s=, no t=, no v=, no c=, no final line end. */
    siphon_sdp *s = ROUNDTRIP("o=- 1 1 IN IP4 192.0.2.1\r\n"
                              "m=audio 4000 RTP/AVP 0");
    if (!s)
        return;
    CHECK(has_finding(s, "missing-session-name", 0));
    CHECK(has_finding(s, "missing-version", 0));
    CHECK(has_finding(s, "missing-timing", 0));
    CHECK(has_finding(s, "missing-connection", 2));
    CHECK(has_finding(s, "no-final-line-end", 2));
    CHECK(!s->has_name);
    siphon_sdp_free(s);
}

UNIT_TEST(sdp_duplicates_and_order)
{
    static const char body[] =
        "v=0\r\n"
        "s=first\r\n"
        "o=- 1 1 IN IP4 192.0.2.1\r\n"
        "s=second\r\n"
        "t=0 0\r\n"
        "c=IN IP4 192.0.2.1\r\n"
        "m=audio 4000 RTP/AVP 0 0\r\n"
        "a=sendonly\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=recvonly\r\n"
        "a=x-foo:1\r\n"
        "a=x-foo:2\r\n";
    siphon_sdp *s = ROUNDTRIP(body);
    if (!s)
        return;
    CHECK(has_finding(s, "line-order", 3));
    CHECK(has_finding(s, "duplicate-line", 4));
    CHECK(has_finding(s, "line-order", 6));
    CHECK(has_finding(s, "duplicate-direction", 7));
    CHECK(has_finding(s, "duplicate-rtpmap", 7));
    CHECK_STR(s->name, "first");
    CHECK_INT(s->nextra, 1);
    if (s->nmedia == 1) {
        const siphon_sdp_media *m = s->media[0];
        CHECK_INT(m->nattrs, 6);
        CHECK_INT(m->nfmts, 2);
        /* The first direction wins. */
        CHECK_INT(siphon_sdp_media_dir(s, m), SIPHON_SDP_SENDONLY);
    }
    /* Printed in RFC order: o before s, c before t. */
    char *out = printed(s);
    CHECK(out && strncmp(out, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=first\r\n"
                              "s=second\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n",
                         strlen("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=first"
                                "\r\ns=second\r\nc=IN IP4 192.0.2.1\r\n"
                                "t=0 0\r\n")) == 0);
    free(out);
    siphon_sdp_free(s);
}

UNIT_TEST(sdp_malformed_known_lines)
{
    static const char body[] =
        "v=zero\r\n"
        "o=too few fields\r\n"
        "s=-\r\n"
        "c=IN IP4\r\n"
        "b=AS\r\n"
        "t=now later\r\n"
        "r=7d 1h 0 25h\r\n"
        "a=\r\n"
        "m=audio port RTP/AVP 0\r\n"
        "a=rtpmap:0\r\n"
        "c=IN IP4 192.0.2.1\r\n"
        "v=0\r\n"
        "m=video 5000 RTP/AVP\r\n"
        "c=IN IP4 192.0.2.1\r\n";
    siphon_sdp *s = ROUNDTRIP(body);
    if (!s)
        return;
    CHECK(has_finding(s, "bad-version", 1));
    CHECK(has_finding(s, "bad-origin", 2));
    CHECK(has_finding(s, "bad-connection", 4));
    CHECK(has_finding(s, "bad-bandwidth", 5));
    CHECK(has_finding(s, "bad-timing", 6));
    CHECK(has_finding(s, "orphan-repeat", 7));
    CHECK(has_finding(s, "bad-attribute", 8));
    CHECK(has_finding(s, "bad-media", 9));
    CHECK(has_finding(s, "bad-rtpmap", 9));
    CHECK(has_finding(s, "session-line-in-media", 12));
    CHECK(has_finding(s, "no-formats", 13));
    CHECK(!s->has_version);
    CHECK(!s->has_origin);
    CHECK_INT(s->nmedia, 2);
    if (s->nmedia == 2) {
        CHECK_STR(s->media[0]->raw, "audio port RTP/AVP 0");
        CHECK_INT(s->media[0]->nattrs, 1);
        CHECK_INT(s->media[0]->nconns, 1);
        CHECK_INT(s->media[1]->nfmts, 0);
    }
    siphon_sdp_free(s);
}

UNIT_TEST(sdp_not_sdp)
{
    siphon_sdp *s = NULL;
    siphon_perr err;
    CHECK_INT(siphon_sdp_parse("", 0, NULL, &s, &err), SIPHON_EPARSE);
    CHECK(s == NULL);
    CHECK(err.rule && strcmp(err.rule, "session-description") == 0);
    CHECK_INT(siphon_sdp_parse("hello\r\nworld\r\n", 14, NULL, &s, NULL),
              SIPHON_EPARSE);
    CHECK_INT(siphon_sdp_parse("\r\n\r\n", 4, NULL, &s, NULL), SIPHON_EPARSE);
}

UNIT_TEST(sdp_limits)
{
    siphon_sdp_opts o;
    siphon_sdp_opts_default(&o);
    siphon_sdp *s = NULL;
    siphon_perr err;
    o.max_size = 10;
    CHECK_INT(siphon_sdp_parse(rfc8866_example, strlen(rfc8866_example), &o,
                               &s, &err),
              SIPHON_ETOOBIG);
    CHECK(err.rule && strcmp(err.rule, "max-size") == 0);
    siphon_sdp_opts_default(&o);
    o.max_lines = 5;
    CHECK_INT(siphon_sdp_parse(rfc8866_example, strlen(rfc8866_example), &o,
                               &s, &err),
              SIPHON_ETOOBIG);
    CHECK(err.rule && strcmp(err.rule, "max-lines") == 0);
    CHECK_INT(err.offset, strstr(rfc8866_example, "e=") - rfc8866_example);
    siphon_sdp_opts_default(&o);
    o.max_line = 30;
    CHECK_INT(siphon_sdp_parse(rfc8866_example, strlen(rfc8866_example), &o,
                               &s, &err),
              SIPHON_ETOOBIG);
    CHECK(err.rule && strcmp(err.rule, "max-line") == 0);
    siphon_sdp_opts_default(&o);
    o.max_media = 2;
    CHECK_INT(siphon_sdp_parse(rfc8866_example, strlen(rfc8866_example), &o,
                               &s, &err),
              SIPHON_ETOOBIG);
    CHECK(err.rule && strcmp(err.rule, "max-media") == 0);
    CHECK(s == NULL);

    /* Many findings are capped, and the body still parses. */
    size_t n = 3000 * 4;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < 3000; i++)
        memcpy(big + i * 4, "zz\r\n", 4);
    big[n] = 0;
    CHECK_INT(siphon_sdp_parse(big, n, NULL, &s, &err), SIPHON_ETOOBIG);
    siphon_sdp_opts_default(&o);
    o.max_lines = 5000;
    memcpy(big, "v=0\r\n", 4); /* "v=0\r" then "\n" */
    CHECK_INT(siphon_sdp_parse(big, n, &o, &s, &err), 0);
    if (s) {
        CHECK(s->nfindings <= 64);
        CHECK_INT(s->nextra, 2999);
        siphon_sdp_free(s);
    }
    free(big);
}

UNIT_TEST(sdp_build_offer)
{
    siphon_sdp *s = siphon_sdp_new(SIPHON_STR_LIT("alice"), 2890844526u,
                                   2890844526u, SIPHON_STR_LIT("192.0.2.10"),
                                   SIPHON_STR_NULL);
    CHECK(s != NULL);
    if (!s)
        return;
    siphon_sdp_media *m = NULL;
    CHECK_INT(siphon_sdp_add_media(s, SIPHON_STR_LIT("audio"), 49170,
                                   SIPHON_STR_LIT("RTP/AVP"), &m),
              0);
    CHECK_INT(siphon_sdp_media_add_codec(s, m, 0, SIPHON_STR_LIT("PCMU"), 8000,
                                         0, SIPHON_STR_NULL),
              0);
    CHECK_INT(siphon_sdp_media_add_codec(s, m, 97, SIPHON_STR_LIT("iLBC"),
                                         8000, 0, SIPHON_STR_LIT("mode=30")),
              0);
    CHECK_INT(siphon_sdp_media_add_codec(s, m, 101,
                                         SIPHON_STR_LIT("telephone-event"),
                                         8000, 0, SIPHON_STR_LIT("0-15")),
              0);
    CHECK_INT(siphon_sdp_set_dir(s, m, SIPHON_SDP_SENDONLY), 0);
    CHECK_INT(siphon_sdp_set_dir(s, m, SIPHON_SDP_INACTIVE), 0);
    CHECK_INT(siphon_sdp_add_attr(s, m, SIPHON_STR_LIT("bad:name"), NULL),
              SIPHON_EINVAL);
    CHECK_INT(siphon_sdp_bump_version(s), 0);
    char *out = printed(s);
    static const char want[] =
        "v=0\r\n"
        "o=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\n"
        "s=-\r\n"
        "c=IN IP4 192.0.2.10\r\n"
        "t=0 0\r\n"
        "m=audio 49170 RTP/AVP 0 97 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:97 iLBC/8000\r\n"
        "a=fmtp:97 mode=30\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-15\r\n"
        "a=inactive\r\n";
    CHECK(out && strcmp(out, want) == 0);
    if (out && strcmp(out, want) != 0)
        printf("# got:\n%s", out);
    siphon_sdp *p = out ? ROUNDTRIP(out) : NULL;
    if (p) {
        CHECK(siphon_sdp_equal(p, s));
        CHECK_INT(p->nfindings, 0);
        siphon_sdp *d = siphon_sdp_dup(p);
        CHECK(d && siphon_sdp_equal(d, p));
        siphon_sdp_free(p);
        /* The copy does not depend on the original's bytes. */
        char *o2 = d ? printed(d) : NULL;
        CHECK(o2 && strcmp(o2, want) == 0);
        free(o2);
        siphon_sdp_free(d);
    }
    free(out);
    /* IPv6 addresses get IP6. */
    siphon_sdp *s6 = siphon_sdp_new(SIPHON_STR_NULL, 1, 1,
                                    SIPHON_STR_LIT("2001:db8::1"),
                                    SIPHON_STR_LIT("talk"));
    CHECK(s6 && siphon_str_eq(s6->conn.addrtype, SIPHON_STR_LIT("IP6")));
    CHECK(s6 && siphon_str_eq(s6->origin.username, SIPHON_STR_LIT("-")));
    siphon_sdp_free(s6);
    siphon_sdp_free(s);
}

UNIT_TEST(sdp_print_odd_bytes)
{
    /* NUL, CR inside a line, trailing spaces: all survive the trip. */
    static const char body[] = "v=0\r\ns=a\0b \r\r\nx=\x01\xff\r\n"
                               "m=audio 1 RTP/AVP  0  8 \r\n";
    siphon_sdp *a = NULL, *b = NULL;
    CHECK_INT(siphon_sdp_parse(body, sizeof body - 1, NULL, &a, NULL), 0);
    if (!a)
        return;
    CHECK_INT(a->name.len, 5);
    siphon_buf p;
    siphon_buf_init(&p, 0);
    CHECK_INT(siphon_sdp_print(a, &p), 0);
    CHECK_INT(siphon_sdp_parse(p.p, p.len, NULL, &b, NULL), 0);
    CHECK(b && siphon_sdp_equal(a, b));
    if (a->nmedia == 1)
        CHECK_INT(a->media[0]->nfmts, 2);
    siphon_buf_free(&p);
    siphon_sdp_free(a);
    siphon_sdp_free(b);
}
