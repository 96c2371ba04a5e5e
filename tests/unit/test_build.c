/*
 * test_build.c -- the message builder (siphon_msgb_*), responses per
 * RFC 3261 §8.2.6 and the §21 reason phrases.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include <siphon/msg.h>

#define S(lit) SIPHON_STR_LIT(lit)

static void check_print(siphon_msgb *b, const char *want)
{
    siphon_buf out;
    siphon_buf_init(&out, 0);
    CHECK_INT(siphon_msgb_print(b, &out), 0);
    CHECK_STR(out, want);
    siphon_buf_free(&out);
}

static siphon_msg *parse_str(const char *s)
{
    siphon_msg *m = NULL;
    siphon_perr err;
    if (siphon_msg_parse(s, strlen(s), NULL, &m, &err) < 0)
        printf("#   parse failed at %zu (%s): %s\n", err.offset, err.rule,
               err.text);
    return m;
}

UNIT_TEST(build_request_basic)
{
    siphon_msgb *b = siphon_msgb_request(S("OPTIONS"), S("sip:bob@example.com"));
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK_INT(siphon_msgb_add(b, S("v"), S("SIP/2.0/UDP h;branch=z9hG4bK1")), 0);
    CHECK_INT(siphon_msgb_add(b, S("max-forwards"), S(" 70 ")), 0);
    CHECK_INT(siphon_msgb_add(b, S("X-Empty"), S("")), 0);
    /* Content-Length is always the builder's own. */
    CHECK_INT(siphon_msgb_add(b, S("Content-Length"), S("99")), 0);
    check_print(b, "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                   "Max-Forwards: 70\r\n"
                   "X-Empty:\r\n"
                   "Content-Length: 0\r\n\r\n");
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msgb_finish(b, &m, &err), 0);
    CHECK(m != NULL);
    if (m) {
        CHECK(siphon_msg_is_request(m));
        CHECK_INT(siphon_msg_method_id(m), SIPHON_METHOD_OPTIONS);
        CHECK_STR(siphon_msg_ruri_str(m), "sip:bob@example.com");
        CHECK_INT(siphon_msg_hdr_count(m), 4);
        CHECK_INT(siphon_msg_hdr_at(m, 0)->id, SIPHON_HDR_VIA);
    }
    siphon_msg_unref(m);
    /* The builder stays usable after finish. */
    CHECK_INT(siphon_msgb_set_request_line(b, S("BYE"), S("sip:x@y")), 0);
    CHECK_INT(siphon_msgb_remove(b, S("X-Empty"), false), 1);
    CHECK_INT(siphon_msgb_remove(b, S("l"), false), 1);
    check_print(b, "BYE sip:x@y SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                   "Max-Forwards: 70\r\n"
                   "Content-Length: 0\r\n\r\n");
    siphon_msgb_free(b);
}

UNIT_TEST(build_rejects_bad_input)
{
    CHECK(siphon_msgb_request(S("IN VITE"), S("sip:a@b")) == NULL);
    CHECK(siphon_msgb_request(S("INVITE"), S("sip:a@b c")) == NULL);
    CHECK(siphon_msgb_request(S("INVITE"), S("")) == NULL);
    CHECK(siphon_msgb_response(99, S("x")) == NULL);
    CHECK(siphon_msgb_response(200, S("O\r\nK")) == NULL);
    siphon_msgb *b = siphon_msgb_request(S("INVITE"), S("sip:a@b"));
    CHECK(b != NULL);
    if (!b)
        return;
    /* No header injection through names or values. */
    CHECK_INT(siphon_msgb_add(b, S("X-A"), S("a\r\nVia: evil")), SIPHON_EINVAL);
    CHECK_INT(siphon_msgb_add(b, S("X-A"), S("a\nb")), SIPHON_EINVAL);
    CHECK_INT(siphon_msgb_add(b, S("X A"), S("a")), SIPHON_EINVAL);
    CHECK_INT(siphon_msgb_add(b, S("X-A:"), S("a")), SIPHON_EINVAL);
    CHECK_INT(siphon_msgb_add(b, S(""), S("a")), SIPHON_EINVAL);
    CHECK_INT(siphon_msgb_set(b, S("X-A"), S("\r")), SIPHON_EINVAL);
    CHECK_INT(siphon_msgb_add_top(b, S("X-A"), S("a\0b")), SIPHON_EINVAL);
    CHECK_INT(siphon_msgb_set_status(b, 1000, S("x")), SIPHON_EINVAL);
    CHECK_INT(siphon_msgb_add(NULL, S("X-A"), S("a")), SIPHON_EINVAL);
    check_print(b, "INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n");
    siphon_msgb_free(b);
    siphon_msgb_free(NULL);
}

/* RFC 3261 §16.6 step 8: a proxy's Via goes above the existing ones,
 * whichever form they were written in. */
UNIT_TEST(build_add_top_and_compact_forms)
{
    siphon_msgb *b = siphon_msgb_request(S("INVITE"), S("sip:a@b"));
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK_INT(siphon_msgb_add(b, S("Max-Forwards"), S("70")), 0);
    CHECK_INT(siphon_msgb_add(b, S("v"), S("SIP/2.0/UDP two")), 0);
    CHECK_INT(siphon_msgb_add(b, S("VIA"), S("SIP/2.0/UDP three")), 0);
    CHECK_INT(siphon_msgb_add_top(b, S("Via"), S("SIP/2.0/UDP one")), 0);
    /* No such field yet: add_top puts it at the very top. */
    CHECK_INT(siphon_msgb_add_top(b, S("Route"), S("<sip:p;lr>")), 0);
    CHECK_INT(siphon_msgb_add(b, S("X-Foo"), S("1")), 0);
    CHECK_INT(siphon_msgb_add_top(b, S("x-foo"), S("0")), 0);
    check_print(b, "INVITE sip:a@b SIP/2.0\r\n"
                   "Route: <sip:p;lr>\r\n"
                   "Max-Forwards: 70\r\n"
                   "Via: SIP/2.0/UDP one\r\n"
                   "Via: SIP/2.0/UDP two\r\n"
                   "Via: SIP/2.0/UDP three\r\n"
                   "x-foo: 0\r\n"
                   "X-Foo: 1\r\n"
                   "Content-Length: 0\r\n\r\n");
    siphon_msgb_free(b);
}

UNIT_TEST(build_set_and_remove)
{
    siphon_msgb *b = siphon_msgb_request(S("INVITE"), S("sip:a@b"));
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK_INT(siphon_msgb_add(b, S("Via"), S("SIP/2.0/UDP one")), 0);
    CHECK_INT(siphon_msgb_add(b, S("Subject"), S("first")), 0);
    CHECK_INT(siphon_msgb_add(b, S("v"), S("SIP/2.0/UDP two")), 0);
    CHECK_INT(siphon_msgb_add(b, S("s"), S("second")), 0);
    CHECK_INT(siphon_msgb_add(b, S("X-A"), S("1")), 0);
    CHECK_INT(siphon_msgb_add(b, S("x-a"), S("2")), 0);
    CHECK_INT(siphon_msgb_add(b, S("X-A"), S("3")), 0);

    /* set: one field, at the position of the first match. */
    CHECK_INT(siphon_msgb_set(b, S("s"), S("only")), 0);
    /* set on an absent name appends. */
    CHECK_INT(siphon_msgb_set(b, S("Call-ID"), S("abc")), 0);
    check_print(b, "INVITE sip:a@b SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP one\r\n"
                   "Subject: only\r\n"
                   "Via: SIP/2.0/UDP two\r\n"
                   "X-A: 1\r\n"
                   "x-a: 2\r\n"
                   "X-A: 3\r\n"
                   "Call-ID: abc\r\n"
                   "Content-Length: 0\r\n\r\n");

    CHECK_INT(siphon_msgb_remove(b, S("x-A"), true), 1);
    CHECK_INT(siphon_msgb_remove(b, S("X-A"), false), 2);
    CHECK_INT(siphon_msgb_remove(b, S("X-A"), false), 0);
    /* "Via" removes the compact "v" fields too, and "i" the Call-ID. */
    CHECK_INT(siphon_msgb_remove(b, S("Via"), false), 2);
    CHECK_INT(siphon_msgb_remove(b, S("i"), false), 1);
    CHECK_INT(siphon_msgb_remove(b, S(""), false), SIPHON_EINVAL);
    check_print(b, "INVITE sip:a@b SIP/2.0\r\n"
                   "Subject: only\r\n"
                   "Content-Length: 0\r\n\r\n");
    siphon_msgb_free(b);
}

UNIT_TEST(build_body_and_content_length)
{
    siphon_msgb *b = siphon_msgb_request(S("MESSAGE"), S("sip:a@b"));
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK_INT(siphon_msgb_add(b, S("Via"), S("SIP/2.0/UDP h;branch=z9hG4bK1")),
              0);
    CHECK_INT(siphon_msgb_add(b, S("c"), S("text/html")), 0);
    static const char body[] = "a\0b\r\n\r\nc";
    siphon_str bs = siphon_str_make(body, sizeof body - 1);
    CHECK_INT(siphon_msgb_set_body(b, S("text/plain"), bs), 0);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msgb_finish(b, &m, &err), 0);
    if (m) {
        CHECK(siphon_str_eq(siphon_msg_body(m), bs));
        long ct = siphon_msg_hdr_next(m, SIPHON_HDR_CONTENT_TYPE, 0);
        CHECK(ct >= 0);
        if (ct >= 0)
            CHECK_STR(siphon_msg_hdr_at(m, (size_t)ct)->value, "text/plain");
        CHECK_INT(siphon_msg_hdr_next(m, SIPHON_HDR_CONTENT_TYPE,
                                      (size_t)ct + 1), -1);
        long cl = siphon_msg_hdr_next(m, SIPHON_HDR_CONTENT_LENGTH, 0);
        CHECK(cl >= 0);
        if (cl >= 0)
            CHECK_STR(siphon_msg_hdr_at(m, (size_t)cl)->value, "8");
    }
    siphon_msg_unref(m);
    /* An empty content type leaves Content-Type alone. */
    CHECK_INT(siphon_msgb_set_body(b, SIPHON_STR_NULL, S("")), 0);
    check_print(b, "MESSAGE sip:a@b SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                   "Content-Type: text/plain\r\n"
                   "Content-Length: 0\r\n\r\n");
    siphon_msgb_free(b);
}

UNIT_TEST(build_from_msg_roundtrip)
{
    size_t len;
    char *s = unit_read_file("tests/data/rfc4475/wsinv.dat", &len);
    if (!s) {
        unit_skip("tests/data/rfc4475/wsinv.dat missing");
        return;
    }
    siphon_msg *m = NULL, *m2 = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msg_parse(s, len, NULL, &m, &err), 0);
    siphon_msgb *b = siphon_msgb_from_msg(m);
    CHECK(b != NULL);
    CHECK_INT(siphon_msgb_finish(b, &m2, &err), 0);
    CHECK(m2 != NULL && siphon_msg_equiv(m, m2));
    siphon_msg_unref(m2);
    /* Edit a copy: the original message is untouched. */
    CHECK_INT(siphon_msgb_remove(b, S("v"), true), 1);
    CHECK_INT(siphon_msgb_set_status(b, 486, SIPHON_STR_NULL), 0);
    CHECK_INT(siphon_msgb_finish(b, &m2, &err), 0);
    if (m2) {
        CHECK(!siphon_msg_is_request(m2));
        CHECK_INT(siphon_msg_status(m2), 486);
        CHECK_STR(siphon_msg_reason(m2), "Busy Here");
        CHECK(!siphon_msg_equiv(m, m2));
    }
    CHECK(siphon_msg_is_request(m));
    siphon_msg_unref(m2);
    siphon_msgb_free(b);
    siphon_msg_unref(m);
    free(s);
    CHECK(siphon_msgb_from_msg(NULL) == NULL);
}

static const char INVITE[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
    "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK2\r\n"
    "Max-Forwards: 69\r\n"
    "To: Bob\r\n <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Timestamp: 54.2 0.5\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Length: 0\r\n\r\n";

UNIT_TEST(build_response_to_tags_and_timestamp)
{
    siphon_msg *req = parse_str(INVITE);
    CHECK(req != NULL);
    if (!req)
        return;
    /* 180: To tag added, no Timestamp, Vias in order, default phrase. */
    siphon_msgb *b = siphon_msgb_response_to(req, 180, SIPHON_STR_NULL,
                                             S("a6c85cf"));
    CHECK(b != NULL);
    check_print(b, "SIP/2.0 180 Ringing\r\n"
                   "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
                   "Via: SIP/2.0/UDP pc33.atlanta.example.com;"
                   "branch=z9hG4bK2\r\n"
                   "From: Alice <sip:alice@atlanta.example.com>;"
                   "tag=1928301774\r\n"
                   "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
                   "Call-ID: a84b4c76e66710\r\n"
                   "CSeq: 314159 INVITE\r\n"
                   "Content-Length: 0\r\n\r\n");
    siphon_msg *resp = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msgb_finish(b, &resp, &err), 0);
    if (resp) {
        const siphon_nameaddr *to = siphon_msg_to(resp);
        CHECK(to != NULL && to->has_tag);
        if (to)
            CHECK_STR(to->tag, "a6c85cf");
    }
    siphon_msg_unref(resp);
    siphon_msgb_free(b);

    /* 100: no tag (it creates no dialog), Timestamp echoed (§8.2.6.1). */
    b = siphon_msgb_response_to(req, 100, S("Trying hard"), S("a6c85cf"));
    CHECK(b != NULL);
    check_print(b, "SIP/2.0 100 Trying hard\r\n"
                   "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
                   "Via: SIP/2.0/UDP pc33.atlanta.example.com;"
                   "branch=z9hG4bK2\r\n"
                   "From: Alice <sip:alice@atlanta.example.com>;"
                   "tag=1928301774\r\n"
                   "To: Bob <sip:bob@biloxi.example.com>\r\n"
                   "Call-ID: a84b4c76e66710\r\n"
                   "CSeq: 314159 INVITE\r\n"
                   "Timestamp: 54.2 0.5\r\n"
                   "Content-Length: 0\r\n\r\n");
    siphon_msgb_free(b);

    /* An empty to_tag adds none. */
    b = siphon_msgb_response_to(req, 200, SIPHON_STR_NULL, SIPHON_STR_NULL);
    CHECK(b != NULL);
    siphon_msgb_finish(b, &resp, &err);
    CHECK(resp != NULL);
    if (resp) {
        CHECK_STR(siphon_msg_reason(resp), "OK");
        const siphon_nameaddr *to = siphon_msg_to(resp);
        CHECK(to != NULL && !to->has_tag);
    }
    siphon_msg_unref(resp);
    siphon_msgb_free(b);

    /* Bad arguments. */
    CHECK(siphon_msgb_response_to(req, 99, SIPHON_STR_NULL, S("x")) == NULL);
    CHECK(siphon_msgb_response_to(req, 700, SIPHON_STR_NULL, S("x")) == NULL);
    CHECK(siphon_msgb_response_to(req, 200, SIPHON_STR_NULL, S("a b")) ==
          NULL);
    CHECK(siphon_msgb_response_to(NULL, 200, SIPHON_STR_NULL, S("x")) == NULL);
    siphon_msg_unref(req);
}

UNIT_TEST(build_response_to_keeps_existing_tag)
{
    /* A To tag already present (a mid-dialog request) is kept as is, even
     * in addr-spec form where ;tag follows the URI directly. */
    siphon_msg *req = parse_str("BYE sip:alice@pc33.atlanta.example.com SIP/2.0\r\n"
                                "Via: SIP/2.0/UDP h;branch=z9hG4bK3\r\n"
                                "t: sip:alice@atlanta.example.com;tag=x1\r\n"
                                "f: <sip:bob@biloxi.example.com>;tag=y2\r\n"
                                "i: c1\r\n"
                                "CSeq: 2 BYE\r\n"
                                "\r\n");
    CHECK(req != NULL);
    if (!req)
        return;
    siphon_msgb *b = siphon_msgb_response_to(req, 200, SIPHON_STR_NULL,
                                             S("new"));
    CHECK(b != NULL);
    check_print(b, "SIP/2.0 200 OK\r\n"
                   "Via: SIP/2.0/UDP h;branch=z9hG4bK3\r\n"
                   "From: <sip:bob@biloxi.example.com>;tag=y2\r\n"
                   "To: sip:alice@atlanta.example.com;tag=x1\r\n"
                   "Call-ID: c1\r\n"
                   "CSeq: 2 BYE\r\n"
                   "Content-Length: 0\r\n\r\n");
    siphon_msgb_free(b);
    siphon_msg_unref(req);

    /* A To that does not parse gets no tag: it is copied as it came. */
    req = parse_str("OPTIONS sip:a@b SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP h;branch=z9hG4bK4\r\n"
                    "To: <sip:a@b\r\n"
                    "\r\n");
    CHECK(req != NULL);
    if (req) {
        b = siphon_msgb_response_to(req, 200, SIPHON_STR_NULL, S("t"));
        CHECK(b != NULL);
        check_print(b, "SIP/2.0 200 OK\r\n"
                       "Via: SIP/2.0/UDP h;branch=z9hG4bK4\r\n"
                       "To: <sip:a@b\r\n"
                       "Content-Length: 0\r\n\r\n");
        siphon_msgb_free(b);
    }
    siphon_msg_unref(req);

    /* A response is not a request to answer. */
    siphon_msg *resp = parse_str("SIP/2.0 200 OK\r\n\r\n");
    CHECK(resp != NULL);
    CHECK(siphon_msgb_response_to(resp, 200, SIPHON_STR_NULL, S("x")) == NULL);
    siphon_msg_unref(resp);
}

UNIT_TEST(build_status_phrases)
{
    static const struct {
        int code;
        const char *text;
    } want[] = {
        {100, "Trying"},           {180, "Ringing"},
        {183, "Session Progress"}, {199, "Early Dialog Terminated"},
        {200, "OK"},               {202, "Accepted"},
        {204, "No Notification"},  {302, "Moved Temporarily"},
        {401, "Unauthorized"},     {407, "Proxy Authentication Required"},
        {412, "Conditional Request Failed"},
        {417, "Unknown Resource-Priority"},
        {421, "Extension Required"},
        {422, "Session Interval Too Small"},
        {428, "Use Identity Header"},
        {429, "Provide Referrer Identity"},
        {433, "Anonymity Disallowed"},
        {439, "First Hop Lacks Outbound Support"},
        {469, "Bad Info Package"}, {470, "Consent Needed"},
        {481, "Call/Transaction Does Not Exist"},
        {489, "Bad Event"},        {491, "Request Pending"},
        {494, "Security Agreement Required"},
        {504, "Server Time-out"},  {505, "Version Not Supported"},
        {513, "Message Too Large"},
        {580, "Precondition Failure"},
        {600, "Busy Everywhere"},  {606, "Not Acceptable"},
        {607, "Unwanted"},         {608, "Rejected"},
        {0, "Unknown"},            {299, "Unknown"},
        {999, "Unknown"},          {-1, "Unknown"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *got = siphon_status_phrase(want[i].code);
        if (strcmp(got, want[i].text) != 0)
            unit_fail(__FILE__, __LINE__, "%d: \"%s\", expected \"%s\"",
                      want[i].code, got, want[i].text);
    }
    /* A NULL reason takes the default phrase; an empty one stays empty. */
    siphon_msgb *b = siphon_msgb_response(404, SIPHON_STR_NULL);
    CHECK(b != NULL);
    check_print(b, "SIP/2.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    CHECK_INT(siphon_msgb_set_status(b, 404, S("")), 0);
    check_print(b, "SIP/2.0 404 \r\nContent-Length: 0\r\n\r\n");
    siphon_msgb_free(b);
}

UNIT_TEST(build_msg_response_fast_path)
{
    const char *text = "INVITE sip:bob@example.com SIP/2.0\r\n"
                       "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
                       "Via: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n"
                       "f: \"A\" <sip:a@example.com>;tag=1\r\n"
                       "t: <sip:bob@example.com>\r\n"
                       "Call-ID: c1@example.com\r\n"
                       "CSeq: 7 INVITE\r\n"
                       "Timestamp: 54\r\n"
                       "Contact: <sip:a@a.example.com>\r\n"
                       "Content-Length: 0\r\n\r\n";
    siphon_msg *req = NULL;
    CHECK_INT(siphon_msg_parse(text, strlen(text), NULL, &req, NULL), 0);
    if (!req)
        return;
    siphon_msg *r = NULL;
    CHECK_INT(siphon_msg_response(req, 180, SIPHON_STR_NULL, siphon_str_c("x9"), &r), 0);
    if (r) {
        CHECK_INT(siphon_msg_status(r), 180);
        CHECK_STR(siphon_msg_reason(r), "Ringing");
        const void *v;
        CHECK_INT(siphon_msg_typed(r, SIPHON_HDR_VIA, &v, NULL), 0);
        const siphon_via *via = v;
        CHECK(via && via->next && !via->next->next);
        const siphon_nameaddr *to = siphon_msg_to(r);
        CHECK(to && to->has_tag);
        if (to)
            CHECK_STR(to->tag, "x9");
        CHECK_STR(siphon_msg_call_id(r), "c1@example.com");
        CHECK(siphon_msg_hdr_next(r, SIPHON_HDR_TIMESTAMP, 0) < 0);
        CHECK(siphon_msg_hdr_next(r, SIPHON_HDR_CONTACT, 0) < 0);
        CHECK_INT(siphon_msg_body(r).len, 0);
        siphon_msg_unref(r);
    }
    /* 100: no tag, Timestamp echoed (§8.2.6.1) */
    CHECK_INT(siphon_msg_response(req, 100, SIPHON_STR_NULL, siphon_str_c("x9"), &r), 0);
    if (r) {
        const siphon_nameaddr *to = siphon_msg_to(r);
        CHECK(to && !to->has_tag);
        CHECK(siphon_msg_hdr_next(r, SIPHON_HDR_TIMESTAMP, 0) >= 0);
        siphon_msg_unref(r);
    }
    /* the builder's answer and the fast path agree */
    siphon_msgb *b = siphon_msgb_response_to(req, 486, SIPHON_STR_NULL, siphon_str_c("t7"));
    siphon_msg *viab = NULL;
    CHECK(b && siphon_msgb_finish(b, &viab, NULL) == 0);
    siphon_msgb_free(b);
    CHECK_INT(siphon_msg_response(req, 486, SIPHON_STR_NULL, siphon_str_c("t7"), &r), 0);
    if (r && viab)
        CHECK(siphon_msg_equiv(r, viab));
    siphon_msg_unref(r);
    siphon_msg_unref(viab);
    /* bad arguments */
    CHECK_INT(siphon_msg_response(req, 99, SIPHON_STR_NULL, SIPHON_STR_NULL, &r), SIPHON_EINVAL);
    CHECK_INT(siphon_msg_response(req, 200, SIPHON_STR_NULL, siphon_str_c("a b"), &r),
              SIPHON_EINVAL);
    siphon_msg_unref(req);
}
