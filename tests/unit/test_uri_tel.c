/*
 * test_uri_tel.c -- tel: URI parsing through siphon_uri_parse().
 *
 * RFC 3966 §3 (syntax and its examples), §5.1.4/§5.1.5 (global and local
 * numbers, phone-context), §5.2 (isub), §5.3 (ext), §6 (examples).
 */
#include "unit.h"

#include <siphon/uri.h>

/* Parse s into *u; the arena must outlive u. */
static int parse(siphon_arena *a, const char *s, siphon_uri *u,
                 siphon_perr *err)
{
    memset(u, 0, sizeof *u);
    memset(err, 0, sizeof *err);
    return siphon_uri_parse(a, s, strlen(s), u, err);
}

/* Expect s to be refused with the given rule at the given offset. */
static void refused(const char *file, int line, const char *s,
                    const char *rule, size_t offset)
{
    siphon_arena a;
    siphon_uri u;
    siphon_perr err;
    siphon_arena_init(&a, NULL, 0);
    int rc = parse(&a, s, &u, &err);
    if (rc != SIPHON_EPARSE)
        unit_fail(file, line, "\"%s\": rc %d, expected SIPHON_EPARSE", s, rc);
    else if (!err.rule || strcmp(err.rule, rule) != 0 ||
             err.offset != offset || !err.text[0])
        unit_fail(file, line,
                  "\"%s\": rule %s at %zu (%s), expected %s at %zu", s,
                  err.rule ? err.rule : "(null)", err.offset, err.text, rule,
                  offset);
    siphon_arena_free(&a);
}
#define REFUSED(s, rule, off) refused(__FILE__, __LINE__, s, rule, off)

UNIT_TEST(uri_tel_global)
{
    siphon_arena a;
    siphon_uri u;
    siphon_perr err;
    siphon_arena_init(&a, NULL, 0);
    CHECK_INT(parse(&a, "tel:+1-201-555-0123", &u, &err), 0);
    CHECK_INT(u.scheme, SIPHON_URI_TEL);
    CHECK(u.global);
    CHECK_STR(u.number, "+1-201-555-0123");
    CHECK_STR(u.opaque, "+1-201-555-0123");
    CHECK_INT(u.params.n, 0);
    siphon_arena_free(&a);
}

UNIT_TEST(uri_tel_local_domain_context)
{
    siphon_arena a;
    siphon_uri u;
    siphon_perr err;
    siphon_arena_init(&a, NULL, 0);
    CHECK_INT(parse(&a, "tel:7042;phone-context=example.com", &u, &err), 0);
    CHECK(!u.global);
    CHECK_STR(u.number, "7042");
    CHECK_INT(u.params.n, 1);
    if (u.params.n == 1) {
        CHECK_STR(u.params.v[0].name, "phone-context");
        CHECK_STR(u.params.v[0].value, "example.com");
        CHECK(u.params.v[0].has_value);
    }
    const siphon_param *p = siphon_params_find(&u.params, "PHONE-CONTEXT");
    CHECK(p != NULL);
    siphon_arena_free(&a);
}

UNIT_TEST(uri_tel_local_number_context)
{
    siphon_arena a;
    siphon_uri u;
    siphon_perr err;
    siphon_arena_init(&a, NULL, 0);
    CHECK_INT(parse(&a, "tel:863-1234;phone-context=+1-914-555", &u, &err), 0);
    CHECK(!u.global);
    CHECK_STR(u.number, "863-1234");
    CHECK_INT(u.params.n, 1);
    if (u.params.n == 1)
        CHECK_STR(u.params.v[0].value, "+1-914-555");
    siphon_arena_free(&a);
}

/* RFC 3966 §6 examples and the parameters of §5.2/§5.3, in order. */
UNIT_TEST(uri_tel_params_in_order)
{
    siphon_arena a;
    siphon_uri u;
    siphon_perr err;
    siphon_arena_init(&a, NULL, 0);
    CHECK_INT(parse(&a, "tel:+1-212-555-0101;isub=%41b:c;ext=1234;"
                        "phone-context=+1;foo=bar-baz;npdi",
                    &u, &err),
              0);
    CHECK(u.global);
    CHECK_STR(u.number, "+1-212-555-0101");
    CHECK_INT(u.params.n, 5);
    if (u.params.n == 5) {
        CHECK_STR(u.params.v[0].name, "isub");
        CHECK_STR(u.params.v[0].value, "%41b:c");
        CHECK_STR(u.params.v[1].name, "ext");
        CHECK_STR(u.params.v[1].value, "1234");
        CHECK_STR(u.params.v[2].name, "phone-context");
        CHECK_STR(u.params.v[3].name, "foo");
        CHECK_STR(u.params.v[3].value, "bar-baz");
        CHECK_STR(u.params.v[4].name, "npdi");
        CHECK(!u.params.v[4].has_value);
        CHECK_INT(u.params.v[4].value.len, 0);
    }
    siphon_arena_free(&a);
}

UNIT_TEST(uri_tel_accepted_forms)
{
    static const char *const ok[] = {
        "tel:+358-555-1234567;postd=pp22",       /* RFC 3966 §6 */
        "tel:+1-201-555-0123;ext=1234",
        "tel:+1(201)555.0123",                   /* every separator */
        "tel:+12015550123;isub=1411",
        "tel:+1-201-555-0123;ext=12-34",
        "TEL:+1-201-555-0123",                   /* scheme case */
        "Tel:+1;EXT=7;ISUB=x",                   /* name case */
        "tel:*21#;phone-context=example.com",    /* * and # */
        "tel:AbC-9;phone-context=Example.COM.",  /* hex; trailing dot */
        "tel:911;phone-context=+1",
        "tel:411;phone-context=a-1.b2.c",
        "tel:1;phone-context=x",                 /* one-letter toplabel */
        "tel:+1;tgrp=TG-1;trunk-context=[a]:/&+$",
        "tel:+1;a=%41%2f",
        "tel:+1;isub=a/b?c@d&e=f+g$h,i",         /* uric, less ';' */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        siphon_arena a;
        siphon_uri u;
        siphon_perr err;
        siphon_arena_init(&a, NULL, 0);
        int rc = parse(&a, ok[i], &u, &err);
        if (rc != 0)
            unit_fail(__FILE__, __LINE__, "\"%s\" refused: %s at %zu: %s",
                      ok[i], err.rule ? err.rule : "?", err.offset, err.text);
        else
            CHECK_INT(u.scheme, SIPHON_URI_TEL);
        siphon_arena_free(&a);
    }
}

UNIT_TEST(uri_tel_local_needs_context)
{
    /* RFC 3966 §5.1.5: local numbers MUST carry a phone-context. */
    REFUSED("tel:7042", "local-number", 4);
    REFUSED("tel:7042;ext=1", "local-number", 4);
    REFUSED("tel:#31", "local-number", 4);
}

UNIT_TEST(uri_tel_bad_numbers)
{
    REFUSED("tel:", "telephone-subscriber", 4);
    REFUSED("tel:;phone-context=example.com", "telephone-subscriber", 4);
    REFUSED("tel:+", "global-number-digits", 4);
    REFUSED("tel:+-.()", "global-number-digits", 4);
    REFUSED("tel:+1-201-555-A", "global-number-digits", 15);
    REFUSED("tel:+1 201", "global-number-digits", 6);
    REFUSED("tel:+1*2", "global-number-digits", 6);
    REFUSED("tel:++1", "global-number-digits", 5);
    REFUSED("tel:--;phone-context=example.com", "local-number-digits", 4);
    REFUSED("tel:12g4;phone-context=example.com", "local-number-digits", 6);
    REFUSED("tel:1+2;phone-context=example.com", "local-number-digits", 5);
    REFUSED("tel:%31;phone-context=example.com", "local-number-digits", 4);
    REFUSED("tel:+1@example.com", "global-number-digits", 6);
}

UNIT_TEST(uri_tel_bad_params)
{
    REFUSED("tel:+1;", "par", 7);
    REFUSED("tel:+1;;ext=1", "par", 7);
    REFUSED("tel:+1;=x", "par", 7);
    REFUSED("tel:+1;a_b=1", "pname", 8);
    REFUSED("tel:+1;foo=", "pvalue", 11);
    REFUSED("tel:+1;foo=a b", "pvalue", 12);
    REFUSED("tel:+1;foo=a=b", "pvalue", 12);
    REFUSED("tel:+1;foo=%4", "pvalue", 11);
    REFUSED("tel:+1;foo=%zz", "pvalue", 11);
    REFUSED("tel:+1;ext=", "extension", 11);
    REFUSED("tel:+1;ext", "extension", 7);
    REFUSED("tel:+1;ext=12a", "extension", 13);
    REFUSED("tel:+1;isub=", "isdn-subaddress", 12);
    REFUSED("tel:+1;isub=a b", "isdn-subaddress", 13);
    REFUSED("tel:+1;isub=%g1", "isdn-subaddress", 12);
    /* §3: no name may appear twice, whatever its case */
    REFUSED("tel:+1;ext=1;EXT=2", "par", 13);
    REFUSED("tel:+1;foo;foo=1", "par", 11);
}

UNIT_TEST(uri_tel_bad_context)
{
    REFUSED("tel:7042;phone-context", "phone-context", 9);
    REFUSED("tel:7042;phone-context=", "phone-context", 23);
    REFUSED("tel:7042;phone-context=+", "phone-context", 23);
    REFUSED("tel:7042;phone-context=+1x", "phone-context", 25);
    REFUSED("tel:7042;phone-context=1.2.3.4", "phone-context", 23);
    REFUSED("tel:7042;phone-context=example..com", "phone-context", 23);
    REFUSED("tel:7042;phone-context=-a.com", "phone-context", 23);
    REFUSED("tel:7042;phone-context=a-.com", "phone-context", 23);
    REFUSED("tel:7042;phone-context=exa_mple.com", "phone-context", 23);
    REFUSED("tel:7042;phone-context=.", "phone-context", 23);
    REFUSED("tel:7042;phone-context=example.com;phone-context=+1", "par",
            35);
}

/* Past the parameter ceiling the URI is refused, not parsed slowly. */
UNIT_TEST(uri_tel_many_params)
{
    char buf[1024] = "tel:+1";
    for (int i = 0; i < 70; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, ";p%d", i);
    }
    siphon_arena a;
    siphon_uri u;
    siphon_perr err;
    siphon_arena_init(&a, NULL, 0);
    CHECK_INT(parse(&a, buf, &u, &err), SIPHON_EPARSE);
    siphon_arena_free(&a);
}

/* err may be NULL. */
UNIT_TEST(uri_tel_null_err)
{
    siphon_arena a;
    siphon_uri u;
    siphon_arena_init(&a, NULL, 0);
    memset(&u, 0, sizeof u);
    CHECK_INT(siphon_uri_parse(&a, "tel:7042", 8, &u, NULL), SIPHON_EPARSE);
    siphon_arena_free(&a);
}
