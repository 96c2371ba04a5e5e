/*
 * fuzz_uri.c -- fuzz harness for the URI parser and comparison (lib/msg).
 *
 * RFC 3261 §19.1 (SIP/SIPS URIs) and §19.1.4 (comparison), RFC 3966 (tel),
 * RFC 3986 (any other absoluteURI).
 *
 * The whole input is parsed as one URI. Then the input is cut in two: its
 * first byte gives the length of the first piece, the rest is the second
 * (so a seed "\x15sip:alice@atlanta.comsip:ALICE@atlanta.com" compares two
 * URIs). Each piece is copied into a buffer of its own exact size, so that
 * AddressSanitizer sees a parser that reads past the end of its string.
 *
 * Invariants (uri.h):
 *   - a parsed URI is equal to itself;
 *   - equality is symmetric, and never holds across schemes (it is not
 *     transitive, by RFC 3261 §19.1.4, so that is not checked);
 *   - every view points into the string parsed;
 *   - siphon_uri_unescape never writes more than its input length;
 *   - a parse error has a rule and an offset within the string.
 */
#include "fuzz_common.h"

/* A non-empty view must lie inside [s, s + len). */
static void check_inside(siphon_str v, const char *s, size_t len,
                         const char *what)
{
    if (v.len == 0)
        return;
    if (v.p < s || v.p > s + len || v.len > (size_t)(s + len - v.p)) {
        fuzz_dump("uri", s, len);
        fuzz_fail("siphon_uri.%s points outside the string parsed", what);
    }
}

static void check_params_inside(const siphon_params *ps, const char *s,
                                size_t len, const char *what)
{
    for (size_t i = 0; i < ps->n; i++) {
        check_inside(ps->v[i].name, s, len, what);
        check_inside(ps->v[i].value, s, len, what);
    }
}

static void unescape_params(const siphon_params *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        fuzz_unescape(ps->v[i].name);
        fuzz_unescape(ps->v[i].value);
    }
}

/*
 * Parse len bytes at s into *u. Returns true when it parsed; every check
 * that needs only this one URI is done here.
 */
static bool parse_one(siphon_arena *a, const char *s, size_t len,
                      siphon_uri *u)
{
    siphon_perr err;
    memset(&err, 0, sizeof err);
    memset(u, 0, sizeof *u);
    int rc = siphon_uri_parse(a, s, len, u, &err);
    if (rc != 0) {
        if (rc > 0)
            fuzz_fail("siphon_uri_parse returned %d", rc);
        fuzz_check_perr(&err, rc, "siphon_uri_parse");
        if (err.offset > len)
            fuzz_fail("siphon_uri_parse error offset %zu past the %zu-byte "
                      "string", err.offset, len);
        return false;
    }
    fuzz_touch_uri(u);
    check_inside(u->raw, s, len, "raw");
    check_inside(u->scheme_name, s, len, "scheme_name");
    check_inside(u->user, s, len, "user");
    check_inside(u->password, s, len, "password");
    check_inside(u->host, s, len, "host");
    check_inside(u->number, s, len, "number");
    check_inside(u->opaque, s, len, "opaque");
    check_params_inside(&u->params, s, len, "params");
    check_params_inside(&u->headers, s, len, "headers");

    fuzz_unescape(u->user);
    fuzz_unescape(u->password);
    fuzz_unescape(u->host);
    fuzz_unescape(u->number);
    unescape_params(&u->params);
    unescape_params(&u->headers);

    if (!siphon_uri_equal(u, u) && !fuzz_skipped("uri-reflexive")) {
        fuzz_dump("uri", s, len);
        fuzz_fail("[uri-reflexive] siphon_uri_equal(u, u) is false");
    }
    return true;
}

/* Copy n bytes into a heap buffer of exactly n bytes (1 if n is 0). */
static char *exact_copy(const uint8_t *p, size_t n)
{
    char *c = malloc(n ? n : 1);
    if (!c)
        abort();
    if (n)
        memcpy(c, p, n);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    siphon_arena arena;
    siphon_arena_init(&arena, NULL, 0);

    char *whole = exact_copy(data, size);
    siphon_uri u;
    parse_one(&arena, whole, size, &u);

    if (size >= 1) {
        size_t rest = size - 1;
        size_t cut = data[0] <= rest ? data[0] : rest;
        char *sa = exact_copy(data + 1, cut);
        char *sb = exact_copy(data + 1 + cut, rest - cut);
        siphon_uri ua, ub;
        bool oka = parse_one(&arena, sa, cut, &ua);
        bool okb = parse_one(&arena, sb, rest - cut, &ub);
        if (oka && okb) {
            bool ab = siphon_uri_equal(&ua, &ub);
            bool ba = siphon_uri_equal(&ub, &ua);
            if (ab != ba && !fuzz_skipped("uri-symmetric")) {
                fuzz_dump("first", sa, cut);
                fuzz_dump("second", sb, rest - cut);
                fuzz_fail("[uri-symmetric] siphon_uri_equal is not symmetric: a=b %d, b=a %d",
                          ab, ba);
            }
            if (ab && ua.scheme != ub.scheme && !fuzz_skipped("uri-scheme")) {
                fuzz_dump("first", sa, cut);
                fuzz_dump("second", sb, rest - cut);
                fuzz_fail("[uri-scheme] URIs of schemes %d and %d compare equal",
                          (int)ua.scheme, (int)ub.scheme);
            }
        }
        free(sa);
        free(sb);
    }

    free(whole);
    siphon_arena_free(&arena);
    return 0;
}
