/*
 * test_reg_ext.c -- the registrar beyond RFC 3261: RFC 5626 outbound
 * (instance/reg-id bindings, 439, Require: outbound), the limits (per AOR,
 * in total, per request), and the RFC 4475 REGISTER messages (§3.3.12
 * cparam01, §3.3.13 cparam02, §3.3.14 regescrt, §3.3.4 unksm2, §3.1.2.13
 * regbadct) with the stored binding checked against what the RFC says.
 */
#include "test_reg_support.h"
#include "unit.h"

#include <stdlib.h>

#define INST "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\""

/* ---- RFC 5626 §6 ----------------------------------------------------------- */

UNIT_TEST(reg_outbound_instance_reg_id_replaces)
{
    siphon_reg *r = siphon_reg_new(NULL);
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 1,
                   "Supported: path, outbound\r\n"
                   "Contact: <sip:bob@192.0.2.4;transport=tcp;ob>;reg-id=1;" INST "\r\n",
                   0, &res),
              200);
    CHECK_STR(reg_header(res.response, "Require"), "outbound");
    siphon_msg_unref(res.response);
    /* the same instance and reg-id from a new address and a new Call-ID:
     * the binding is replaced, not added */
    CHECK_INT(reg1(r, "c2", 1,
                   "Supported: outbound\r\n"
                   "Contact: <sip:bob@198.51.100.7:40000;transport=tcp;ob>;reg-id=1;" INST "\r\n",
                   1000, &res),
              200);
    CHECK_INT(res.refreshed, 1);
    CHECK_INT(reg_ncontacts(res.response), 1);
    siphon_msg_unref(res.response);
    const siphon_reg_binding *b = reg_only(r, BOB, 1000);
    CHECK_STR(b->contact, "sip:bob@198.51.100.7:40000;transport=tcp;ob");
    CHECK_STR(b->instance, "\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"");
    CHECK(b->has_reg_id);
    CHECK_INT(b->reg_id, 1);
    /* a second flow (reg-id 2) is a second binding */
    CHECK_INT(reg1(r, "c2", 2,
                   "Supported: outbound\r\n"
                   "Contact: <sip:bob@198.51.100.8;transport=tcp;ob>;reg-id=2;" INST "\r\n",
                   1000, NULL),
              200);
    CHECK_INT(siphon_reg_count(r), 2);
    /* the same Call-ID with an old CSeq is still stale (§10.3 step 7) */
    CHECK_INT(reg1(r, "c2", 2,
                   "Contact: <sip:bob@203.0.113.1;ob>;reg-id=2;" INST ";expires=0\r\n", 1000,
                   NULL),
              400);
    CHECK_INT(reg1(r, "c2", 3,
                   "Contact: <sip:bob@203.0.113.1;ob>;reg-id=2;" INST ";expires=0\r\n", 1000,
                   NULL),
              200);
    CHECK_INT(siphon_reg_count(r), 1);
    siphon_reg_free(r);
}

static siphon_msg *proxied(const char *path, const char *supported, const char *contact)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "REGISTER sip:example.com SIP/2.0\r\n"
             "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKp1\r\n"
             "Via: SIP/2.0/TCP 192.0.2.4:5060;branch=z9hG4bKu1\r\n"
             "To: <sip:bob@example.com>\r\nFrom: <sip:bob@example.com>;tag=1\r\n"
             "Call-ID: px\r\nCSeq: 1 REGISTER\r\n%s%sContact: %s\r\n"
             "Content-Length: 0\r\n\r\n",
             path, supported, contact);
    return reg_parse(buf);
}

UNIT_TEST(reg_outbound_first_hop_without_ob)
{
    siphon_reg *r = siphon_reg_new(NULL);
    siphon_reg_result res;
    const char *c = "<sip:bob@192.0.2.4;transport=tcp>;reg-id=1;" INST;
    /* not the first hop and no "ob" Path: 439 when the UA wants outbound */
    CHECK_INT(reg_refused(r,
                          proxied("Path: <sip:edge.example.com;lr>\r\n", "Supported: outbound\r\n",
                                  c),
                          0, "First Hop Lacks Outbound Support", NULL),
              439);
    /* else the reg-id is ignored, and no Require: outbound */
    CHECK_INT(reg_run(r, proxied("", "", c), 0, &res), 200);
    CHECK_INT(reg_header(res.response, "Require").len, 0);
    siphon_msg_unref(res.response);
    const siphon_reg_binding *b = reg_only(r, BOB, 0);
    CHECK(!b->has_reg_id);
    /* a Path with "ob" makes it an outbound registration */
    CHECK_INT(reg_run(r, proxied("Path: <sip:edge.example.com;lr;ob>\r\n", "Supported: outbound, path\r\n", c),
                      0, &res),
              200);
    CHECK_STR(reg_header(res.response, "Require"), "outbound");
    CHECK_STR(reg_header(res.response, "Path"), "<sip:edge.example.com;lr;ob>");
    siphon_msg_unref(res.response);
    siphon_reg_free(r);
}

UNIT_TEST(reg_outbound_bad_reg_id_400)
{
    siphon_reg *r = siphon_reg_new(NULL);
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:bob@h>;reg-id=1\r\n", 0, NULL), 400);
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:bob@h>;reg-id=0;" INST "\r\n", 0, NULL), 400);
    CHECK_INT(reg1(r, "c1", 3, "Contact: <sip:bob@h>;reg-id=x;" INST "\r\n", 0, NULL), 400);
    CHECK_INT(siphon_reg_count(r), 0);
    siphon_reg_free(r);
    /* outbound off: reg-id is just a contact-param */
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.outbound = false;
    r = siphon_reg_new(&cfg);
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:bob@h>;reg-id=1\r\n", 0, &res), 200);
    CHECK_STR(reg_header(res.response, "Supported"), "path");
    CHECK_INT(reg_header(res.response, "Require").len, 0);
    siphon_msg_unref(res.response);
    siphon_reg_free(r);
}

/* ---- limits ---------------------------------------------------------------- */

UNIT_TEST(reg_limit_per_aor_403)
{
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.max_per_aor = 2;
    siphon_reg *r = siphon_reg_new(&cfg);
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:a@h>, <sip:b@h>\r\n", 0, NULL), 200);
    CHECK_INT(reg_refused(r, reg_request(BOB, "c1", 2, "Contact: <sip:c@h>\r\n"), 0,
                          "Too Many Bindings for This AOR", "at most 2 bindings"),
              403);
    /* refreshing still works at the limit, and replacing one by another
     * in the same request too */
    CHECK_INT(reg1(r, "c1", 3, "Contact: <sip:a@h>, <sip:b@h>\r\n", 0, NULL), 200);
    CHECK_INT(reg1(r, "c1", 4, "Contact: <sip:a@h>;expires=0, <sip:c@h>\r\n", 0, NULL), 200);
    CHECK_INT(siphon_reg_count(r), 2);
    siphon_reg_free(r);
}

UNIT_TEST(reg_limit_total_503)
{
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.max_total = 3;
    siphon_reg *r = siphon_reg_new(&cfg);
    CHECK_INT(reg_run(r, reg_request("sip:a@example.com", "c", 1, "Contact: <sip:1@h>, <sip:2@h>\r\n"),
                      0, NULL),
              200);
    CHECK_INT(reg_run(r, reg_request("sip:b@example.com", "c", 1, "Contact: <sip:1@h>\r\n"), 0,
                      NULL),
              200);
    CHECK_INT(reg_refused(r, reg_request("sip:c@example.com", "c", 1, "Contact: <sip:1@h>\r\n"), 0,
                          "Registrar Full", ""),
              503);
    CHECK_INT(siphon_reg_count(r), 3);
    CHECK_INT(siphon_reg_aor_count(r), 2); /* no empty AOR left behind */
    /* after an expiry there is room again */
    siphon_reg_tick(r, 3600 * 1000);
    CHECK_INT(reg_run(r, reg_request("sip:c@example.com", "c", 2, "Contact: <sip:1@h>\r\n"),
                      3600 * 1000, NULL),
              200);
    siphon_reg_free(r);
}

UNIT_TEST(reg_limit_thousands_of_contacts_refused)
{
    siphon_reg *r = siphon_reg_new(NULL);
    size_t cap = 5000 * 24 + 1024;
    char *extra = malloc(cap);
    size_t n = 0;
    /* 500 values per field keeps each under the 32 KiB line limit */
    for (unsigned i = 0; i < 5000; i++)
        n += (size_t)snprintf(extra + n, cap - n, "%s<sip:%u@h>%s", i % 500 ? "," : "Contact: ",
                              i, i % 500 == 499 ? "\r\n" : "");
    CHECK_INT(reg_refused(r, reg_request(BOB, "c1", 1, extra), 0, "Too Many Contacts", NULL), 403);
    CHECK_INT(siphon_reg_count(r), 0);
    free(extra);
    siphon_reg_free(r);
}

/* All or nothing (§10.3: "committed if and only if all binding updates and
 * additions succeed"): one bad Contact leaves the others untouched. */
UNIT_TEST(reg_step7_all_or_nothing)
{
    siphon_reg *r = siphon_reg_new(NULL);
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:a@h>\r\n", 0, NULL), 200);
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:a@h>;expires=0, <sip:b@h>, <sip:c@h>;expires=1\r\n",
                   0, NULL),
              423);
    const siphon_reg_binding *b = reg_only(r, BOB, 0);
    CHECK_INT(b->cseq, 1);
    siphon_reg_event ev;
    int n = 0;
    while (siphon_reg_poll(r, &ev))
        n++;
    CHECK_INT(n, 1); /* the first ADDED only */
    siphon_reg_free(r);
}

UNIT_TEST(reg_remove_aor_and_foreach)
{
    siphon_reg *r = siphon_reg_new(NULL);
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:a@h>, <sip:b@h>\r\n", 0, NULL), 200);
    CHECK_INT(reg_run(r, reg_request("sip:x@example.com", "c", 1, "Contact: <sip:1@h>\r\n"), 0,
                      NULL),
              200);
    CHECK_INT(siphon_reg_remove_aor(r, siphon_str_c("sip:BOB@example.com")), 0);
    CHECK_INT(siphon_reg_remove_aor(r, siphon_str_c("sip:bob@Example.com;transport=udp")), 2);
    CHECK_INT(siphon_reg_count(r), 1);
    CHECK_INT(siphon_reg_aor_count(r), 1);
    siphon_reg_free(r);
}

/* ---- RFC 4475 ---------------------------------------------------------------- */

static siphon_msg *load4475(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/data/rfc4475/%s.dat", name);
    size_t len;
    char *buf = unit_read_file(path, &len);
    if (!buf) {
        unit_fail(__FILE__, __LINE__, "cannot read %s", path);
        return NULL;
    }
    siphon_msg *m = NULL;
    if (siphon_msg_parse(buf, len, NULL, &m, NULL))
        unit_fail(__FILE__, __LINE__, "%s does not parse", name);
    free(buf);
    return m;
}

/* The verdicts ../shared/corpus-ref/rfc4475/EXPECT-UAS.tsv gives, when
 * that folder is there: the test then also proves the file agrees. */
static void expect_uas(const char *name, int status)
{
    size_t len;
    char *t = unit_read_file("../shared/corpus-ref/rfc4475/EXPECT-UAS.tsv", &len);
    if (!t)
        return;
    char key[64], want[16];
    snprintf(key, sizeof key, "\n%s\t", name);
    snprintf(want, sizeof want, "%d", status);
    const char *p = strstr(t, key);
    if (!p)
        unit_fail(__FILE__, __LINE__, "%s missing from EXPECT-UAS.tsv", name);
    else {
        const char *v = p + strlen(key), *e = strchr(v, '\t');
        if (!e || !memmem(v, (size_t)(e - v), want, strlen(want)))
            unit_fail(__FILE__, __LINE__, "EXPECT-UAS.tsv: %s does not allow %d", name, status);
    }
    free(t);
}

/* A new registrar that has processed the RFC 4475 message name at 0 with
 * the status the RFC allows (res as for reg_run). */
static siphon_reg *run4475(const char *name, int status, siphon_reg_result *res)
{
    siphon_reg *r = siphon_reg_new(NULL);
    CHECK_INT(reg_run(r, load4475(name), 0, res), status);
    expect_uas(name, status);
    return r;
}

UNIT_TEST(reg_rfc4475_cparam01_contact_param)
{
    /* §3.3.12: "unknownparam" follows an unbracketed URI, so it is a
     * contact-param and not part of the bound URI */
    siphon_reg *r = run4475("cparam01", 200, NULL);
    const siphon_reg_binding *b = reg_only(r, "sip:watson@example.com", 0);
    CHECK_STR(b->contact, "sip:+19725552222@gw1.example.net");
    CHECK_INT(b->params.n, 1);
    if (b->params.n == 1) {
        CHECK_STR(b->params.v[0].name, "unknownparam");
        CHECK(!b->params.v[0].has_value);
    }
    CHECK_STR(b->call_id, "cparam01.70710@saturn.example.com");
    CHECK_INT(b->cseq, 2);
    siphon_reg_free(r);
}

UNIT_TEST(reg_rfc4475_cparam02_uri_param)
{
    /* §3.3.13: inside < > it is a URI parameter and stays in the URI */
    siphon_reg_result res;
    siphon_reg *r = run4475("cparam02", 200, &res);
    const siphon_reg_binding *b = reg_only(r, "sip:watson@example.com", 0);
    CHECK_STR(b->contact, "sip:+19725552222@gw1.example.net;unknownparam");
    CHECK_INT(b->params.n, 0);
    CHECK_STR(reg_contacts(res.response)->uri_text, "sip:+19725552222@gw1.example.net;unknownparam");
    siphon_msg_unref(res.response);
    /* the two are different bindings of one AOR (§19.1.4: a parameter in
     * one URI only is ignored, so they even compare equal: one binding) */
    CHECK_INT(reg_run(r, load4475("cparam01"), 0, NULL), 200);
    reg_only(r, "sip:watson@example.com", 0);
    siphon_reg_free(r);
}

UNIT_TEST(reg_rfc4475_regescrt_escaped_header)
{
    /* §3.3.14: the escaped Route header stays in the bound URI, escaped */
    siphon_reg_result res;
    siphon_reg *r = run4475("regescrt", 200, &res);
    const siphon_reg_binding *b = reg_only(r, "sip:user@example.com", 0);
    CHECK_STR(b->contact, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
    CHECK_STR(reg_contacts(res.response)->uri_text,
              "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
    CHECK_INT(b->cseq, 14398234);
    siphon_msg_unref(res.response);
    siphon_reg_free(r);
}

UNIT_TEST(reg_rfc4475_unksm2_to_not_sip)
{
    /* §3.3.4: a registrar rejects an AOR that is no SIP or SIPS URI */
    siphon_reg *r = run4475("unksm2", 400, NULL);
    CHECK_INT(siphon_reg_count(r), 0);
    siphon_reg_free(r);
}

UNIT_TEST(reg_rfc4475_regbadct_liberal)
{
    /* §3.1.2.13: the parser infers the < > (a tolerated finding), so the
     * '?' header belongs to the URI; RFC 4475 allows 400 or this */
    siphon_reg *r = run4475("regbadct", 200, NULL);
    const siphon_reg_binding *b = reg_only(r, "sip:user@example.com", 0);
    CHECK_STR(b->contact, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
    siphon_reg_free(r);
}

/* A control character inside a quoted contact-param would be stored and
 * sent back in every 200: refused (RFC 3261 §25.1 qdtext has none). */
UNIT_TEST(reg_step7_control_character_in_contact_400)
{
    siphon_reg *r = siphon_reg_new(NULL);
    static const char req[] =
        "REGISTER sip:example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
        "To: <sip:bob@example.com>\r\nFrom: <sip:bob@example.com>;tag=1\r\n"
        "Call-ID: ctl\r\nCSeq: 1 REGISTER\r\n"
        "Contact: <sip:bob@h>;+sip.instance=\"<urn:x\x01y>\"\r\n"
        "Content-Length: 0\r\n\r\n";
    siphon_msg *m = NULL;
    /* (a parser that refuses the message settles it earlier) */
    if (siphon_msg_parse(req, sizeof req - 1, NULL, &m, NULL) == 0)
        CHECK_INT(reg_refused(r, m, 0, "Malformed Contact", NULL), 400);
    CHECK_INT(siphon_reg_count(r), 0);
    siphon_reg_free(r);
}
