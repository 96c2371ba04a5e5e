/*
 * test_multipart.c -- siphon_msg_parts: RFC 2046 §5.1.1 delimiters,
 * preamble and epilogue, binary parts (RFC 4475 §3.1.1.11 mpart01), and
 * the tolerated deviations.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include <siphon/msg.h>

#define HEAD "MESSAGE sip:a@b SIP/2.0\r\n" \
             "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"

static siphon_msg *parse_opts(const char *s, size_t len, bool strict)
{
    siphon_parse_opts o;
    siphon_parse_opts_default(&o);
    o.strict = strict;
    siphon_msg *m = NULL;
    siphon_perr err;
    if (siphon_msg_parse(s, len, &o, &m, &err) < 0)
        printf("#   parse failed at %zu (%s): %s\n", err.offset, err.rule,
               err.text);
    return m;
}

static siphon_msg *parse_str(const char *s)
{
    return parse_opts(s, strlen(s), false);
}

static size_t count_parts(const siphon_part *p)
{
    size_t n = 0;
    for (; p; p = p->next)
        n++;
    return n;
}

static bool has_finding(const siphon_msg *m, const char *rule)
{
    for (const siphon_finding *f = siphon_msg_findings(m); f; f = f->next)
        if (strcmp(f->rule, rule) == 0)
            return true;
    return false;
}

UNIT_TEST(multipart_mpart01)
{
    size_t len;
    char *s = unit_read_file("tests/data/rfc4475/mpart01.dat", &len);
    if (!s) {
        unit_skip("tests/data/rfc4475/mpart01.dat missing");
        return;
    }
    siphon_msg *m = parse_opts(s, len, false);
    CHECK(m != NULL);
    if (!m) {
        free(s);
        return;
    }
    const siphon_part *p = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msg_parts(m, &p, &err), 0);
    CHECK_INT(count_parts(p), 2);
    if (count_parts(p) == 2) {
        CHECK_STR(p->content_type, "text/plain");
        CHECK_STR(p->body, "Hello");
        CHECK_INT(p->nhdrs, 2);
        CHECK_INT(p->hdrs[0].id, SIPHON_HDR_CONTENT_TYPE);
        CHECK_INT(p->hdrs[1].id, SIPHON_HDR_OTHER);
        CHECK_STR(p->hdrs[1].name, "Content-Transfer-Encoding");
        CHECK_STR(p->hdrs[1].value, "binary");
        CHECK_STR(p->hdrs[1].line, "Content-Transfer-Encoding: binary\r\n");

        const siphon_part *q = p->next;
        CHECK_STR(q->content_type, "application/octet-stream");
        /* The DER blob: 342 bytes, two of them NUL, and it ends right
         * before the CRLF that belongs to the close delimiter. */
        CHECK_INT(q->body.len, 342);
        size_t nuls = 0;
        for (size_t i = 0; i < q->body.len; i++)
            nuls += q->body.p[i] == '\0';
        CHECK_INT(nuls, 2);
        CHECK_INT((unsigned char)q->body.p[0], 0x30);
        CHECK_INT((unsigned char)q->body.p[q->body.len - 1], 0x05);
    }
    /* Cached: the same list comes back. */
    const siphon_part *again = NULL;
    CHECK_INT(siphon_msg_parts(m, &again, NULL), 0);
    CHECK(again == p);
    siphon_msg_unref(m);
    free(s);
}

UNIT_TEST(multipart_preamble_epilogue_quoted)
{
    siphon_msg *m = parse_str(
        HEAD "Content-Type: multipart/alternative ; boundary=\"b 1\"\r\n"
             "\r\n"
             "This is the preamble.\r\n"
             "--b 1\r\n"
             "\r\n"
             "no headers: implicitly text/plain\r\n"
             "--b 1  \r\n"
             "Content-Type: application/sdp\r\n"
             "X-Fold: a\r\n b\r\n"
             "\r\n"
             "v=0\r\n"
             "--b 1x is data, not a delimiter\r\n"
             "\r\n"
             "--b 1--\r\n"
             "epilogue --b 1\r\n");
    CHECK(m != NULL);
    if (!m)
        return;
    const siphon_part *p = NULL;
    CHECK_INT(siphon_msg_parts(m, &p, NULL), 0);
    CHECK_INT(count_parts(p), 2);
    if (count_parts(p) == 2) {
        CHECK_INT(p->nhdrs, 0);
        CHECK_INT(p->content_type.len, 0);
        CHECK_STR(p->body, "no headers: implicitly text/plain");
        p = p->next;
        CHECK_INT(p->nhdrs, 2);
        CHECK_STR(p->content_type, "application/sdp");
        CHECK_STR(p->hdrs[1].value, "a\r\n b");
        CHECK_STR(p->body, "v=0\r\n--b 1x is data, not a delimiter\r\n");
    }
    CHECK(!has_finding(m, "multipart-no-close-delimiter"));
    siphon_msg_unref(m);
}

UNIT_TEST(multipart_empty_parts)
{
    /* Back-to-back delimiters: an empty part between them. Media types
     * are case-insensitive (RFC 2045 §5.1). */
    siphon_msg *m = parse_str(HEAD "Content-Type: MultiPart/Mixed;boundary=x\r\n"
                                   "\r\n--x\r\n--x\r\nC: text/plain\r\n\r\n"
                                   "\r\n--x--");
    CHECK(m != NULL);
    if (!m)
        return;
    const siphon_part *p = NULL;
    CHECK_INT(siphon_msg_parts(m, &p, NULL), 0);
    CHECK_INT(count_parts(p), 2);
    if (count_parts(p) == 2) {
        CHECK_INT(p->nhdrs, 0);
        CHECK_INT(p->body.len, 0);
        CHECK_STR(p->next->content_type, "text/plain");
        CHECK_INT(p->next->body.len, 0);
    }
    siphon_msg_unref(m);
}

UNIT_TEST(multipart_not_multipart)
{
    const siphon_part *p = (const siphon_part *)1;
    siphon_msg *m = parse_str(HEAD "Content-Type: text/plain\r\n\r\n--x\r\n");
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(siphon_msg_parts(m, &p, NULL), SIPHON_ENOENT);
        CHECK(p == NULL);
        CHECK_INT(siphon_msg_parts(m, &p, NULL), SIPHON_ENOENT);
    }
    siphon_msg_unref(m);
    m = parse_str(HEAD "\r\n");
    CHECK(m != NULL);
    if (m)
        CHECK_INT(siphon_msg_parts(m, &p, NULL), SIPHON_ENOENT);
    siphon_msg_unref(m);
    CHECK_INT(siphon_msg_parts(NULL, &p, NULL), SIPHON_EINVAL);
}

UNIT_TEST(multipart_boundary_errors)
{
    const siphon_part *p = NULL;
    siphon_perr err;
    /* The boundary never appears (only as a prefix of a longer one). */
    siphon_msg *m = parse_str(HEAD
                              "Content-Type: multipart/mixed;boundary=abc\r\n"
                              "\r\n--abcd\r\n\r\nx\r\n--abcd--\r\n");
    CHECK(m != NULL);
    if (m) {
        memset(&err, 0, sizeof err);
        CHECK_INT(siphon_msg_parts(m, &p, &err), SIPHON_EPARSE);
        CHECK(p == NULL);
        CHECK(err.rule != NULL);
        /* The error is reported again, with err filled, on a retry. */
        memset(&err, 0, sizeof err);
        CHECK_INT(siphon_msg_parts(m, &p, &err), SIPHON_EPARSE);
        CHECK(err.rule != NULL);
    }
    siphon_msg_unref(m);

    /* multipart without a boundary parameter, or an empty one. */
    m = parse_str(HEAD "Content-Type: multipart/mixed\r\n\r\n--x\r\n");
    CHECK(m != NULL);
    if (m)
        CHECK_INT(siphon_msg_parts(m, &p, &err), SIPHON_EPARSE);
    siphon_msg_unref(m);
    m = parse_str(HEAD "Content-Type: multipart/mixed;boundary=\"\"\r\n"
                       "\r\n--\r\n");
    CHECK(m != NULL);
    if (m)
        CHECK_INT(siphon_msg_parts(m, &p, &err), SIPHON_EPARSE);
    siphon_msg_unref(m);

    /* A close delimiter with no part before it. */
    m = parse_str(HEAD "Content-Type: multipart/mixed;boundary=x\r\n"
                       "\r\n--x--\r\n");
    CHECK(m != NULL);
    if (m)
        CHECK_INT(siphon_msg_parts(m, &p, &err), SIPHON_EPARSE);
    siphon_msg_unref(m);

    /* A part header line without a colon. */
    m = parse_str(HEAD "Content-Type: multipart/mixed;boundary=x\r\n"
                       "\r\n--x\r\nnot a header\r\n\r\nbody\r\n--x--\r\n");
    CHECK(m != NULL);
    if (m)
        CHECK_INT(siphon_msg_parts(m, &p, &err), SIPHON_EPARSE);
    siphon_msg_unref(m);
}

/* Deviations a robust reader tolerates, recorded as findings, and refused
 * in strict mode. */
UNIT_TEST(multipart_tolerated)
{
    static const char no_close[] =
        HEAD "Content-Type: multipart/mixed;boundary=x\r\n"
             "\r\n--x\r\nContent-Type: text/plain\r\n\r\nlast\r\n";
    static const char bare_lf[] =
        HEAD "Content-Type: multipart/mixed;boundary=x\r\n"
             "\r\n--x\nContent-Type: text/plain\n\none\n--x\n\ntwo\n--x--\n";
    const siphon_part *p = NULL;
    siphon_perr err;

    siphon_msg *m = parse_str(no_close);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(siphon_msg_parts(m, &p, &err), 0);
        CHECK_INT(count_parts(p), 1);
        if (p)
            CHECK_STR(p->body, "last\r\n");
        CHECK(has_finding(m, "multipart-no-close-delimiter"));
    }
    siphon_msg_unref(m);
    m = parse_opts(no_close, sizeof no_close - 1, true);
    CHECK(m != NULL);
    if (m)
        CHECK_INT(siphon_msg_parts(m, &p, &err), SIPHON_EPARSE);
    siphon_msg_unref(m);

    m = parse_str(bare_lf);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(siphon_msg_parts(m, &p, &err), 0);
        CHECK_INT(count_parts(p), 2);
        if (count_parts(p) == 2) {
            CHECK_STR(p->content_type, "text/plain");
            CHECK_STR(p->body, "one");
            CHECK_STR(p->next->body, "two");
        }
        CHECK(has_finding(m, "multipart-bare-lf"));
    }
    siphon_msg_unref(m);
    m = parse_opts(bare_lf, sizeof bare_lf - 1, true);
    CHECK(m != NULL);
    if (m)
        CHECK_INT(siphon_msg_parts(m, &p, &err), SIPHON_EPARSE);
    siphon_msg_unref(m);
}
