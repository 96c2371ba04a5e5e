/*
 * test_rfc4475.c -- every RFC 4475 message gets the verdict that
 * conformance/rfc4475/expect.tsv gives, in lenient and strict mode, and the
 * expectations agree with the RFC's own classification (INDEX.tsv). The
 * valid messages also yield the parsed values the RFC text calls out.
 */
#include "unit.h"
#include "support.h"

#include <siphon/msg.h>

#include <stdlib.h>

#define DIR "tests/data/rfc4475/"

/* The eight invalid messages RFC 4475 lets a liberal parser accept. */
static const char *const liberal[] = {"ltgtruri", "lwsruri", "lwsstart", "trws",
                                      "escruri", "baddate", "regbadct", "badaspec"};

static bool is_liberal(const char *name)
{
    for (size_t i = 0; i < sizeof liberal / sizeof liberal[0]; i++)
        if (strcmp(name, liberal[i]) == 0)
            return true;
    return false;
}

static siphon_msg *load(const char *name, bool strict, siphon_verdict *v)
{
    char path[256];
    snprintf(path, sizeof path, DIR "%s.dat", name);
    size_t len;
    char *buf = unit_read_file(path, &len);
    if (!buf) {
        unit_fail(__FILE__, __LINE__, "cannot read %s", path);
        return NULL;
    }
    siphon_parse_opts o;
    siphon_parse_opts_default(&o);
    o.strict = strict;
    siphon_msg *m = NULL;
    siphon_verdict local;
    siphon_verdict_bytes(buf, len, &o, v ? v : &local, &m);
    free(buf);
    return m;
}

static void verdict_text(const siphon_verdict *v, char *out, size_t n)
{
    if (v->kind == SIPHON_VERDICT_REJECT)
        snprintf(out, n, "reject %d", v->status);
    else
        snprintf(out, n, "%s", siphon_verdict_name(v->kind));
}

/* Every value of a list header (the convenience wrappers give one). */
static const void *all_values(siphon_msg *m, siphon_hdr_id id)
{
    const void *v = NULL;
    return siphon_msg_typed(m, id, &v, NULL) == 0 ? v : NULL;
}

static bool has_finding(siphon_msg *m, const char *rule)
{
    for (const siphon_finding *f = m ? siphon_msg_findings(m) : NULL; f; f = f->next)
        if (strcmp(f->rule, rule) == 0 && f->level == SIPHON_FINDING_TOLERATED)
            return true;
    return false;
}

static const char *index_expected(const char *index, const char *name)
{
    static char exp[32];
    char key[64];
    snprintf(key, sizeof key, "\n%s\t", name);
    const char *p = strstr(index, key);
    if (!p)
        return NULL;
    p = strchr(p + 1, '\t');         /* after name */
    p = p ? strchr(p + 1, '\t') : NULL; /* after section */
    if (!p)
        return NULL;
    size_t n = strcspn(p + 1, "\t\n");
    snprintf(exp, sizeof exp, "%.*s", (int)n, p + 1);
    return exp;
}

UNIT_TEST(rfc4475_verdicts)
{
    size_t tlen, ilen;
    char *table = unit_read_file("conformance/rfc4475/expect.tsv", &tlen);
    char *index = unit_read_file(DIR "INDEX.tsv", &ilen);
    CHECK(table && index);
    if (!table || !index) {
        free(table);
        free(index);
        return;
    }
    int rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !line[0])
            continue;
        char name[32], lenient[32], strict[32], rule[64];
        if (sscanf(line, "%31[^\t]\t%31[^\t]\t%31[^\t]\t%63[^\t\n]", name, lenient, strict,
                   rule) != 4) {
            unit_fail(__FILE__, __LINE__, "bad expect.tsv line: %s", line);
            continue;
        }
        rows++;
        const char *exp = index_expected(index, name);
        if (!exp) {
            unit_fail(__FILE__, __LINE__, "%s not in INDEX.tsv", name);
            continue;
        }
        /* the table must be consistent with the RFC's classification */
        if (strcmp(exp, "valid") == 0 && strcmp(lenient, "accept") != 0)
            unit_fail(__FILE__, __LINE__, "%s: valid but expect.tsv says %s", name, lenient);
        if (strcmp(exp, "invalid") == 0 &&
            (strcmp(strict, "accept") == 0 ||
             (strcmp(lenient, "accept") == 0 && !is_liberal(name))))
            unit_fail(__FILE__, __LINE__, "%s: invalid but expect.tsv accepts it", name);

        for (int mode = 0; mode < 2; mode++) {
            siphon_verdict v;
            siphon_msg *m = load(name, mode == 1, &v);
            char got[32];
            verdict_text(&v, got, sizeof got);
            const char *want = mode ? strict : lenient;
            if (strcmp(got, want) != 0)
                unit_fail(__FILE__, __LINE__, "%s (%s): verdict %s (%s: %s at %zu, rule %s), want %s",
                          name, mode ? "strict" : "lenient", got, v.reason, v.where.text,
                          v.where.offset, v.where.rule ? v.where.rule : "-", want);
            if (strcmp(rule, "-") != 0) {
                if (is_liberal(name) && mode == 0 && !has_finding(m, rule))
                    unit_fail(__FILE__, __LINE__, "%s: lenient accept lacks finding %s", name, rule);
                /* strict mode may stop at an earlier deviation */
                if (!is_liberal(name) && mode == 0 && !strcasestr(v.reason, rule) &&
                    !(v.where.header && strcasestr(v.where.header, rule)) &&
                    !(v.where.rule && strcasestr(v.where.rule, rule)))
                    unit_fail(__FILE__, __LINE__, "%s: reason \"%s\" does not name %s", name,
                              v.reason, rule);
            }
            siphon_msg_unref(m);
        }
    }
    CHECK_INT(rows, 49);
    free(table);
    free(index);
}

UNIT_TEST(rfc4475_semiuri_user)
{
    siphon_msg *m = load("semiuri", false, NULL);
    CHECK(m != NULL);
    if (!m)
        return;
    const siphon_uri *u = siphon_msg_ruri(m, NULL);
    CHECK(u != NULL);
    if (u) {
        CHECK_STR(u->user, "user;par=u%40example.net");
        CHECK_STR(u->host, "example.com");
        CHECK_INT(u->params.n, 0);
    }
    siphon_msg_unref(m);
}

UNIT_TEST(rfc4475_escnull_contacts)
{
    siphon_msg *m = load("escnull", false, NULL);
    CHECK(m != NULL);
    if (!m)
        return;
    const siphon_nameaddr *c = all_values(m, SIPHON_HDR_CONTACT);
    CHECK(c && c->next && !c->next->next);
    CHECK(siphon_msg_contact(m) && !siphon_msg_contact(m)->next);
    if (c && c->next) {
        char buf[16];
        size_t n;
        siphon_uri_unescape(uri_of(m, c)->user, buf, &n);
        CHECK_INT(n, 1);
        CHECK_INT(buf[0], 0);
        siphon_uri_unescape(uri_of(m, c->next)->user, buf, &n);
        CHECK_INT(n, 2);
        CHECK(!siphon_uri_equal(uri_of(m, c), uri_of(m, c->next)));
    }
    const siphon_nameaddr *to = siphon_msg_to(m);
    CHECK(to != NULL);
    if (to) {
        char buf[32];
        size_t n;
        siphon_uri_unescape(uri_of(m, to)->user, buf, &n);
        CHECK_INT(n, 11); /* "null-\0-null": not truncated at the NUL */
    }
    siphon_msg_unref(m);
}

UNIT_TEST(rfc4475_esc02_method_and_contacts)
{
    siphon_msg *m = load("esc02", false, NULL);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_STR(siphon_msg_method(m), "RE%47IST%45R");
    CHECK_INT(siphon_msg_method_id(m), SIPHON_METHOD_OTHER);
    int n = 0;
    for (const siphon_nameaddr *c = all_values(m, SIPHON_HDR_CONTACT); c; c = c->next)
        n++;
    CHECK_INT(n, 2); /* "C%6Fntact" is an unknown header, not a Contact */
    CHECK(siphon_msg_hdr_next_name(m, "C%6Fntact", 9, 0) >= 0);
    siphon_msg_unref(m);
}

UNIT_TEST(rfc4475_longreq_lengths)
{
    siphon_msg *m = load("longreq", false, NULL);
    CHECK(m != NULL);
    if (!m)
        return;
    const siphon_nameaddr *to = siphon_msg_to(m);
    CHECK(to && to->display.len > 100);
    int vias = 0;
    for (const siphon_via *v = all_values(m, SIPHON_HDR_VIA); v; v = v->next)
        vias++;
    CHECK_INT(vias, 34);
    const siphon_nameaddr *from = siphon_msg_from(m);
    CHECK(from && from->tag.len > 100);
    CHECK(to && uri_of(m, to)->params.n >= 3 && uri_of(m, to)->port == 6000);
    if (to && uri_of(m, to)->params.n >= 3)
        CHECK(uri_of(m, to)->params.v[0].value.len > 80);
    siphon_msg_unref(m);
}

UNIT_TEST(rfc4475_wsinv_values)
{
    siphon_msg *m = load("wsinv", false, NULL);
    CHECK(m != NULL);
    if (!m)
        return;
    const siphon_nameaddr *to = siphon_msg_to(m);
    CHECK(to && to->has_tag);
    if (to)
        CHECK_STR(to->tag, "1918181833n");
    const siphon_nameaddr *from = siphon_msg_from(m);
    CHECK(from != NULL);
    if (from) {
        CHECK_STR(from->tag, "98asjd8");
        CHECK_STR(from->display, "\"J Rosenberg \\\\\\\"\"");
    }
    const siphon_cseq *cs = siphon_msg_cseq(m);
    CHECK(cs && cs->num == 9 && cs->method_id == SIPHON_METHOD_INVITE);
    const siphon_via *v = all_values(m, SIPHON_HDR_VIA);
    CHECK(v != NULL);
    if (v) {
        CHECK_STR(v->transport, "UDP");
        CHECK_STR(v->host, "192.0.2.2");
        CHECK(v->next && v->next->next && !v->next->next->next);
        if (v->next && v->next->next) {
            CHECK_STR(v->next->transport, "TCP");
            CHECK_STR(v->next->branch, "z9hG4bK9ikj8");
            CHECK_STR(v->next->next->branch, "z9hG4bK30239");
        }
    }
    const siphon_nameaddr *c = siphon_msg_contact(m);
    CHECK(c && c->has_q && c->q == 330);
    const void *mf;
    CHECK_INT(siphon_msg_typed(m, SIPHON_HDR_MAX_FORWARDS, &mf, NULL), 0);
    CHECK_INT(((const siphon_hval *)mf)->num, 68);
    CHECK_INT(siphon_msg_body(m).len, 150);
    siphon_msg_unref(m);
}

UNIT_TEST(rfc4475_dblreq_trailing)
{
    siphon_msg *m = load("dblreq", false, NULL);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_INT(siphon_msg_body(m).len, 0);
    bool found = false;
    for (const siphon_finding *f = siphon_msg_findings(m); f; f = f->next)
        found |= strcmp(f->rule, "trailing-bytes") == 0 && f->level == SIPHON_FINDING_NOTE;
    CHECK(found);
    CHECK_INT(siphon_msg_method_id(m), SIPHON_METHOD_REGISTER);
    siphon_msg_unref(m);
}

UNIT_TEST(rfc4475_cparam_contacts)
{
    siphon_msg *m = load("cparam01", false, NULL);
    const siphon_nameaddr *c = m ? siphon_msg_contact(m) : NULL;
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(uri_of(m, c)->params.n, 0);
        CHECK(siphon_params_find(&c->params, "unknownparam") != NULL);
    }
    siphon_msg_unref(m);
    m = load("cparam02", false, NULL);
    c = m ? siphon_msg_contact(m) : NULL;
    CHECK(c != NULL);
    if (c) {
        CHECK(siphon_params_find(&uri_of(m, c)->params, "unknownparam") != NULL);
        CHECK_INT(c->params.n, 0);
    }
    siphon_msg_unref(m);
    m = load("regescrt", false, NULL);
    c = m ? siphon_msg_contact(m) : NULL;
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(uri_of(m, c)->headers.n, 1);
        if (uri_of(m, c)->headers.n)
            CHECK_STR(uri_of(m, c)->headers.v[0].value, "%3Csip:sip.example.com%3E");
    }
    siphon_msg_unref(m);
}

UNIT_TEST(rfc4475_intmeth_values)
{
    siphon_msg *m = load("intmeth", false, NULL);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_STR(siphon_msg_method(m), "!interesting-Method0123456789_*+`.%indeed'~");
    const siphon_uri *u = siphon_msg_ruri(m, NULL);
    CHECK(u && u->has_password);
    if (u)
        CHECK_STR(u->user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    const siphon_nameaddr *to = siphon_msg_to(m);
    CHECK(to && to->display.len == 22); /* raw BEL, NUL and DEL inside */
    siphon_msg_unref(m);
}
