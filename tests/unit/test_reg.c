/*
 * test_reg.c -- the registrar, RFC 3261 §10.3 rule by rule: each test is
 * named after the step it proves (reg_step1_* ... reg_step8_*), then the
 * expiry on the injected clock and the events.
 */
#include "test_reg_support.h"
#include "unit.h"

#include <stdlib.h>

static siphon_reg *new_reg(void)
{
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.max_expires = 7200;
    return siphon_reg_new(&cfg);
}

/* new_reg() where BOB has registered the Contact line(s) `contact` with
 * Call-ID c1 and that CSeq at time 0 (checked to succeed). */
static siphon_reg *new_reg_with(unsigned cseq, const char *contact)
{
    siphon_reg *r = new_reg();
    CHECK_INT(reg1(r, "c1", cseq, contact, 0, NULL), 200);
    return r;
}

/* ---- step 1: the domain -------------------------------------------------- */

UNIT_TEST(reg_step1_5_not_our_domain_forwards_or_404)
{
    static const char *const doms[] = {"example.org", "EXAMPLE.com"};
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.domains = doms;
    cfg.ndomains = 2;
    siphon_reg *r = siphon_reg_new(&cfg);
    siphon_reg_result res;
    /* example.com is ours (case-insensitive host) */
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:bob@192.0.2.4>\r\n", 0, &res), 200);
    CHECK_INT(res.action, SIPHON_REG_RESPOND);
    siphon_msg_unref(res.response);
    siphon_msg *m = reg_parse("REGISTER sip:elsewhere.net SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                              "To: <sip:bob@elsewhere.net>\r\nFrom: <sip:bob@elsewhere.net>;tag=1\r\n"
                              "Call-ID: x\r\nCSeq: 1 REGISTER\r\n"
                              "Contact: <sip:bob@192.0.2.4>\r\nContent-Length: 0\r\n\r\n");
    CHECK_INT(reg_run(r, m, 0, &res), 0);
    CHECK_INT(res.action, SIPHON_REG_FORWARD);
    CHECK(res.response == NULL);
    CHECK_INT(siphon_reg_count(r), 1);
    /* step 5: our domain in the Request-URI, an AOR elsewhere: 404 */
    CHECK_INT(reg_refused(r, reg_request("sip:bob@elsewhere.net", "c1", 1,
                                         "Contact: <sip:bob@192.0.2.4>\r\n"),
                          0, NULL, ""),
              404);
    CHECK_INT(siphon_reg_count(r), 1);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step1_ruri_not_sip_416)
{
    siphon_reg *r = new_reg();
    siphon_msg *m = reg_parse("REGISTER tel:+15551234 SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                              "To: <sip:bob@example.com>\r\nFrom: <sip:bob@example.com>;tag=1\r\n"
                              "Call-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n");
    CHECK_INT(reg_run(r, m, 0, NULL), 416);
    siphon_reg_free(r);
}

/* ---- step 2: Require ------------------------------------------------------ */

UNIT_TEST(reg_step2_require_unsupported_420)
{
    siphon_reg *r = new_reg();
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 1,
                   "Require: path, foo, 100rel\r\nContact: <sip:bob@192.0.2.4>\r\n", 0, &res),
              420);
    CHECK_STR(reg_header(res.response, "Unsupported"), "foo, 100rel");
    CHECK_INT(siphon_reg_count(r), 0);
    siphon_msg_unref(res.response);
    /* what we support passes, and so do configured extensions */
    CHECK_INT(reg1(r, "c1", 2, "Require: path, outbound\r\nContact: <sip:bob@192.0.2.4>\r\n",
                   0, NULL),
              200);
    siphon_reg_free(r);
    static const char *const ext[] = {"gruu"};
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.extensions = ext;
    cfg.nextensions = 1;
    cfg.path = false;
    r = siphon_reg_new(&cfg);
    CHECK_INT(reg1(r, "c1", 1, "Require: gruu\r\nContact: <sip:bob@192.0.2.4>\r\n", 0, NULL),
              200);
    CHECK_INT(reg1(r, "c1", 2, "Require: path\r\nContact: <sip:bob@192.0.2.4>\r\n", 0, NULL),
              420);
    siphon_reg_free(r);
}

/* ---- steps 4 and 5: who, and which AOR ---------------------------------------- */

static int deny_alice(void *arg, siphon_msg *req, siphon_str aor)
{
    (*(int *)arg)++;
    if (siphon_str_eq(aor, SIPHON_STR_LIT("sip:alice@example.com")))
        return 403;
    if (siphon_str_eq(aor, SIPHON_STR_LIT("sip:nobody@example.com")))
        return 404;
    return 0;
}

UNIT_TEST(reg_step4_5_check_callback)
{
    int calls = 0;
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.check = deny_alice;
    cfg.check_arg = &calls;
    siphon_reg *r = siphon_reg_new(&cfg);
    const char *c = "Contact: <sip:x@192.0.2.4>\r\n";
    CHECK_INT(reg_run(r, reg_request("sip:alice@example.com", "a", 1, c), 0, NULL), 403);
    CHECK_INT(reg_run(r, reg_request("sip:nobody@example.com", "a", 1, c), 0, NULL), 404);
    CHECK_INT(reg_run(r, reg_request(BOB, "a", 1, c), 0, NULL), 200);
    CHECK_INT(calls, 3);
    CHECK_INT(siphon_reg_count(r), 1);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step5_aor_is_canonical)
{
    siphon_reg *r = new_reg();
    /* URI parameters dropped, escapes decoded, host case folded */
    CHECK_INT(reg_run(r, reg_request("sip:%62ob@EXAMPLE.com;user=phone", "c1", 1,
                                     "Contact: <sip:bob@192.0.2.4>\r\n"),
                      0, NULL),
              200);
    const siphon_reg_binding *b[16];
    CHECK_INT(reg_lookup(r, BOB, 0, b), 1);
    CHECK_STR(b[0]->aor, "sip:bob@example.com");
    CHECK_INT(reg_lookup(r, "sip:bob@example.com;transport=tcp", 0, b), 1);
    /* a port makes another URI (§19.1.4), sips another scheme, user case
     * matters */
    CHECK_INT(reg_lookup(r, "sip:bob@example.com:5060", 0, b), 0);
    CHECK_INT(reg_lookup(r, "sips:bob@example.com", 0, b), 0);
    CHECK_INT(reg_lookup(r, "sip:BOB@example.com", 0, b), 0);
    CHECK_INT(reg_lookup(r, "tel:+1555", 0, b), SIPHON_EINVAL);
    /* an escaped ':' stays escaped, so it cannot pose as a password */
    siphon_arena a;
    siphon_arena_init(&a, NULL, 0);
    siphon_uri u;
    CHECK_INT(siphon_uri_parse(&a, "sip:a%3ab@h", 11, &u, NULL), 0);
    siphon_buf k;
    siphon_buf_init(&k, 0);
    CHECK_INT(siphon_reg_aor_key(&u, &k), 0);
    CHECK_STR(k, "sip:a%3Ab@h");
    siphon_buf_free(&k);
    siphon_arena_free(&a);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step5_to_not_sip_400)
{
    siphon_reg *r = new_reg();
    CHECK_INT(reg_refused(r, reg_request("tel:+15551234", "c1", 1, "Contact: <sip:x@h>\r\n"), 0,
                          "To Is Not a SIP or SIPS URI", ""),
              400);
    siphon_reg_free(r);
}

/* ---- step 6: Contact: * ----------------------------------------------------- */

UNIT_TEST(reg_step6_star_expires0_removes_all)
{
    siphon_reg *r = new_reg_with(1, "Contact: <sip:bob@192.0.2.4>, <sip:bob@192.0.2.5>\r\n");
    CHECK_INT(reg1(r, "c2", 1, "Contact: <sip:bob@192.0.2.6>\r\n", 0, NULL), 200);
    CHECK_INT(siphon_reg_count(r), 3);
    siphon_reg_result res;
    /* another Call-ID (CSeq irrelevant) and c1 with a higher CSeq */
    CHECK_INT(reg1(r, "c1", 2, "Contact: *\r\nExpires: 0\r\n", 1000, &res), 200);
    CHECK_INT(res.removed, 3);
    CHECK_INT(reg_ncontacts(res.response), 0);
    CHECK_INT(siphon_reg_count(r), 0);
    CHECK_INT(siphon_reg_aor_count(r), 0);
    siphon_msg_unref(res.response);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step6_star_with_other_contacts_400)
{
    siphon_reg *r = new_reg_with(1, "Contact: <sip:bob@192.0.2.4>\r\n");
    CHECK_INT(reg_refused(r,
                          reg_request(BOB, "c1", 2,
                                      "Contact: *, <sip:bob@192.0.2.5>\r\nExpires: 0\r\n"),
                          0, "Invalid Contact *", NULL),
              400);
    CHECK_INT(reg1(r, "c1", 3, "Contact: <sip:bob@192.0.2.5>\r\nContact: *\r\nExpires: 0\r\n",
                   0, NULL),
              400);
    CHECK_INT(siphon_reg_count(r), 1);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step6_star_nonzero_or_missing_expires_400)
{
    siphon_reg *r = new_reg_with(1, "Contact: <sip:bob@192.0.2.4>\r\n");
    CHECK_INT(reg1(r, "c1", 2, "Contact: *\r\nExpires: 60\r\n", 0, NULL), 400);
    CHECK_INT(reg1(r, "c1", 3, "Contact: *\r\n", 0, NULL), 400);
    CHECK_INT(siphon_reg_count(r), 1);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step6_star_stale_cseq_400)
{
    siphon_reg *r = new_reg_with(5, "Contact: <sip:bob@192.0.2.4>\r\n");
    CHECK_INT(reg1(r, "c2", 1, "Contact: <sip:bob@192.0.2.5>\r\n", 0, NULL), 200);
    /* same Call-ID as the first binding, CSeq not higher: nothing removed,
     * not even the c2 binding that the Call-ID rule would allow */
    CHECK_INT(reg_refused(r, reg_request(BOB, "c1", 5, "Contact: *\r\nExpires: 0\r\n"), 0,
                          "Stale CSeq", NULL),
              400);
    CHECK_INT(siphon_reg_count(r), 2);
    siphon_reg_free(r);
}

/* ---- step 7: each Contact ---------------------------------------------------- */

UNIT_TEST(reg_step7_add)
{
    siphon_reg *r = new_reg();
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 1, "Contact: \"Bob\" <sip:bob@192.0.2.4;transport=tcp>;q=0.7\r\n",
                   1000, &res),
              200);
    CHECK_INT(res.added, 1);
    siphon_msg_unref(res.response);
    const siphon_reg_binding *b = reg_only(r, BOB, 1000);
    CHECK_STR(b->contact, "sip:bob@192.0.2.4;transport=tcp");
    CHECK_STR(b->display, "\"Bob\"");
    CHECK_STR(b->call_id, "c1");
    CHECK_INT(b->cseq, 1);
    CHECK_INT(b->q, 700);
    CHECK(b->has_q);
    CHECK_INT(b->expires_s, 3600);
    CHECK_INT(b->expires_at, 1000 + 3600 * 1000);
    CHECK_INT(b->params.n, 1);
    CHECK_STR(b->params.v[0].name, "q");
    siphon_reg_free(r);
}

UNIT_TEST(reg_step7_refresh)
{
    siphon_reg *r = new_reg_with(1, "Contact: <sip:bob@192.0.2.4>\r\n");
    siphon_reg_result res;
    /* the same URI per §19.1.4 (host case) is the same binding */
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:bob@192.0.2.4>;expires=600\r\n", 50000, &res),
              200);
    CHECK_INT(res.refreshed, 1);
    CHECK_INT(res.added, 0);
    siphon_msg_unref(res.response);
    const siphon_reg_binding *b = reg_only(r, BOB, 50000);
    CHECK_INT(b->expires_at, 50000 + 600000);
    CHECK_INT(b->cseq, 2);
    CHECK_INT(siphon_reg_next_deadline(r), 650000);
    CHECK_INT(reg1(r, "c1", 3, "Contact: <sip:bob@EXAMPLE.net>\r\n", 0, NULL), 200);
    CHECK_INT(reg1(r, "c1", 4, "Contact: <sip:bob@example.NET>\r\n", 0, NULL), 200);
    CHECK_INT(siphon_reg_count(r), 2);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step7_remove_with_expires0)
{
    siphon_reg *r = new_reg_with(1, "Contact: <sip:bob@192.0.2.4>, <sip:bob@192.0.2.5>\r\n");
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:bob@192.0.2.4>;expires=0\r\n", 0, &res), 200);
    CHECK_INT(res.removed, 1);
    CHECK_INT(reg_ncontacts(res.response), 1);
    CHECK_STR(reg_contacts(res.response)->uri_text, "sip:bob@192.0.2.5");
    siphon_msg_unref(res.response);
    /* via the Expires header; and removing an unknown contact is a no-op */
    CHECK_INT(reg1(r, "c1", 3, "Contact: <sip:bob@192.0.2.5>, <sip:bob@192.0.2.9>\r\n"
                   "Expires: 0\r\n", 0, &res), 200);
    CHECK_INT(res.removed, 1);
    CHECK_INT(res.added, 0);
    siphon_msg_unref(res.response);
    CHECK_INT(siphon_reg_count(r), 0);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step7_expires_param_then_header_then_default)
{
    siphon_reg *r =
        new_reg_with(1, "Contact: <sip:bob@192.0.2.1>;expires=120, <sip:bob@192.0.2.2>\r\n"
                        "Expires: 300\r\n");
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:bob@192.0.2.3>\r\n", 0, NULL), 200);
    const siphon_reg_binding *b[16];
    CHECK_INT(reg_lookup(r, BOB, 0, b), 3);
    for (int i = 0; i < 3; i++) {
        if (siphon_str_eq(b[i]->contact, SIPHON_STR_LIT("sip:bob@192.0.2.1")))
            CHECK_INT(b[i]->expires_s, 120);
        else if (siphon_str_eq(b[i]->contact, SIPHON_STR_LIT("sip:bob@192.0.2.2")))
            CHECK_INT(b[i]->expires_s, 300);
        else
            CHECK_INT(b[i]->expires_s, 3600);
    }
    siphon_reg_free(r);
}

UNIT_TEST(reg_step7_interval_too_brief_423)
{
    siphon_reg *r = new_reg();
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:bob@192.0.2.1>, <sip:bob@192.0.2.2>;expires=30\r\n",
                   0, &res),
              423);
    CHECK_STR(reg_header(res.response, "Min-Expires"), "60");
    CHECK_STR(siphon_msg_reason(res.response), "Interval Too Brief");
    CHECK_INT(siphon_reg_count(r), 0); /* all or nothing */
    siphon_msg_unref(res.response);
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:bob@192.0.2.1>\r\nExpires: 59\r\n", 0, NULL), 423);
    CHECK_INT(reg1(r, "c1", 3, "Contact: <sip:bob@192.0.2.1>\r\nExpires: 60\r\n", 0, NULL), 200);
    siphon_reg_free(r);
    /* §10.3 step 7 only allows 423 below one hour */
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.min_expires = 7200;
    r = siphon_reg_new(&cfg);
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:bob@192.0.2.1>\r\nExpires: 3599\r\n", 0, NULL),
              423);
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:bob@192.0.2.1>\r\nExpires: 3600\r\n", 0, NULL),
              200);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step7_max_expires_clamped)
{
    siphon_reg *r = new_reg(); /* max 7200 */
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:bob@192.0.2.1>;expires=999999\r\n", 0, &res),
              200);
    const siphon_nameaddr *c = reg_contacts(res.response);
    CHECK(c && c->has_expires && c->expires == 7200);
    siphon_msg_unref(res.response);
    CHECK_INT(siphon_reg_next_deadline(r), 7200 * 1000);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step7_stale_cseq_400)
{
    siphon_reg *r = new_reg_with(10, "Contact: <sip:bob@192.0.2.1>\r\n");
    /* equal and lower CSeq on the same Call-ID are both out of order;
     * the new contact in the same request is not added either */
    CHECK_INT(reg_refused(r,
                          reg_request(BOB, "c1", 10,
                                      "Contact: <sip:bob@192.0.2.2>, <sip:bob@192.0.2.1>\r\n"),
                          0, "Stale CSeq", NULL),
              400);
    CHECK_INT(reg1(r, "c1", 9, "Contact: <sip:bob@192.0.2.1>;expires=0\r\n", 0, NULL), 400);
    CHECK_INT(siphon_reg_count(r), 1);
    CHECK_INT(reg1(r, "c1", 11, "Contact: <sip:bob@192.0.2.1>;expires=0\r\n", 0, NULL), 200);
    CHECK_INT(siphon_reg_count(r), 0);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step7_new_call_id_replaces)
{
    siphon_reg *r = new_reg_with(100, "Contact: <sip:bob@192.0.2.1>\r\n");
    siphon_reg_result res;
    /* a rebooted UA: new Call-ID, low CSeq */
    CHECK_INT(reg1(r, "c2", 1, "Contact: <sip:bob@192.0.2.1>;expires=900\r\n", 0, &res), 200);
    CHECK_INT(res.refreshed, 1);
    siphon_msg_unref(res.response);
    const siphon_reg_binding *b = reg_only(r, BOB, 0);
    CHECK_STR(b->call_id, "c2");
    CHECK_INT(b->cseq, 1);
    CHECK_INT(b->expires_s, 900);
    /* and a different Call-ID with expires 0 removes */
    CHECK_INT(reg1(r, "c3", 1, "Contact: <sip:bob@192.0.2.1>;expires=0\r\n", 0, NULL), 200);
    CHECK_INT(siphon_reg_count(r), 0);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step7_bad_contact_400)
{
    siphon_reg *r = new_reg();
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:bob@192.0.2.1>;expires=soon\r\n", 0, NULL), 400);
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:@@>\r\n", 0, NULL), 400);
    CHECK_INT(reg1(r, "c1", 3, "Contact: <sip:bob@h>\r\nExpires: never\r\n", 0, NULL), 400);
    CHECK_INT(siphon_reg_count(r), 0);
    siphon_reg_free(r);
}

/* ---- step 8: the 200 ------------------------------------------------------- */

UNIT_TEST(reg_step8_contacts_by_q)
{
    siphon_reg *r = new_reg_with(1, "Contact: <sip:a@h>;q=0.1, <sip:b@h>;q=0.9\r\n");
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:c@h>\r\n", 1000, NULL), 200);
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 3, "Contact: <sip:d@h>;q=0.9\r\n", 2000, &res), 200);
    /* q descending (absent q ranks as 1.0), ties most recent first */
    const char *want[] = {"sip:c@h", "sip:d@h", "sip:b@h", "sip:a@h"};
    const uint32_t left[] = {3599, 3600, 3598, 3598};
    size_t i = 0;
    for (const siphon_nameaddr *c = reg_contacts(res.response); c; c = c->next, i++) {
        if (i < 4) {
            CHECK_STR(c->uri_text, want[i]);
            CHECK(c->has_expires);
            CHECK_INT(c->expires, left[i]);
        }
    }
    CHECK_INT(i, 4);
    siphon_msg_unref(res.response);
    const siphon_reg_binding *b[16];
    CHECK_INT(reg_lookup(r, BOB, 2000, b), 4);
    CHECK_STR(b[1]->contact, "sip:d@h");
    siphon_reg_free(r);
}

UNIT_TEST(reg_step8_date_header_rfc1123)
{
    siphon_reg *r = new_reg();
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:a@h>\r\n", 0, &res), 200);
    CHECK_STR(reg_header(res.response, "Date"), "Sat, 13 Nov 2010 23:29:00 GMT");
    const void *v = NULL;
    CHECK_INT(siphon_msg_typed(res.response, SIPHON_HDR_DATE, &v, NULL), 0);
    if (v) {
        CHECK_INT(((const siphon_date *)v)->epoch, REG_T_WALL);
        CHECK(((const siphon_date *)v)->gmt);
    }
    /* To tag added, dialog fields copied (§8.2.6) */
    const siphon_nameaddr *to = siphon_msg_to(res.response);
    CHECK(to && to->has_tag);
    if (to)
        CHECK_STR(to->tag, "regtag");
    siphon_msg_unref(res.response);
    /* a leap day and the last second of a year */
    const struct {
        int64_t t;
        const char *s;
    } dates[] = {{951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
                 {946684799, "Fri, 31 Dec 1999 23:59:59 GMT"},
                 {0, "Thu, 01 Jan 1970 00:00:00 GMT"}};
    for (size_t i = 0; i < 3; i++) {
        siphon_reg_input in = {.now_ms = 0, .now_wall = dates[i].t};
        siphon_msg *m = reg_request(BOB, "c1", 10 + (unsigned)i, "");
        CHECK_INT(siphon_reg_process(r, m, &in, &res), 0);
        CHECK_STR(reg_header(res.response, "Date"), dates[i].s);
        siphon_msg_unref(res.response);
        siphon_msg_unref(m);
    }
    siphon_reg_free(r);
}

UNIT_TEST(reg_step8_path_and_service_route)
{
    static const char *const sr[] = {"<sip:orig@scscf.example.com;lr>"};
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.service_route = sr;
    cfg.nservice_route = 1;
    siphon_reg *r = siphon_reg_new(&cfg);
    siphon_reg_result res;
    /* RFC 3327 §5.3: stored in order, echoed to a UA that supports path */
    CHECK_INT(reg1(r, "c1", 1,
                   "Path: <sip:p1.example.com;lr>\r\nPath: <sip:p2.example.com;lr>\r\n"
                   "Supported: path\r\nContact: <sip:bob@192.0.2.4>\r\n",
                   0, &res),
              200);
    const void *v = NULL;
    CHECK_INT(siphon_msg_typed(res.response, SIPHON_HDR_PATH, &v, NULL), 0);
    const siphon_nameaddr *p = v;
    CHECK(p && p->next && !p->next->next);
    if (p && p->next) {
        CHECK_STR(p->uri_text, "sip:p1.example.com;lr");
        CHECK_STR(p->next->uri_text, "sip:p2.example.com;lr");
    }
    CHECK_STR(reg_header(res.response, "Service-Route"), "<sip:orig@scscf.example.com;lr>");
    CHECK_STR(reg_header(res.response, "Supported"), "path, outbound");
    siphon_msg_unref(res.response);
    const siphon_reg_binding *b = reg_only(r, BOB, 0);
    CHECK_INT(b->npath, 2);
    if (b->npath == 2) {
        CHECK_STR(b->path[0], "<sip:p1.example.com;lr>");
        CHECK_STR(b->path[1], "<sip:p2.example.com;lr>");
    }
    /* without Supported: path, stored but not echoed */
    CHECK_INT(reg1(r, "c1", 2, "Path: <sip:p3.example.com;lr>\r\nContact: <sip:bob@192.0.2.4>\r\n",
                   0, &res),
              200);
    CHECK_INT(reg_header(res.response, "Path").len, 0);
    siphon_msg_unref(res.response);
    b = reg_only(r, BOB, 0);
    CHECK_INT(b->npath, 1);
    siphon_reg_free(r);
}

UNIT_TEST(reg_step8_query_without_contact)
{
    siphon_reg *r = new_reg_with(1, "Contact: <sip:a@h>, <sip:b@h>;q=0.5\r\n");
    siphon_reg_result res;
    /* a query changes nothing, whatever its Call-ID and CSeq */
    CHECK_INT(reg1(r, "c1", 1, "", 10000, &res), 200);
    CHECK_INT(reg_ncontacts(res.response), 2);
    CHECK_INT(reg_contacts(res.response)->expires, 3590);
    CHECK_INT(res.added + res.refreshed + res.removed, 0);
    siphon_msg_unref(res.response);
    /* for an AOR nobody registered: a 200 without Contact */
    CHECK_INT(reg_run(r, reg_request("sip:nobody@example.com", "q", 1, ""), 0, &res), 200);
    CHECK_INT(reg_ncontacts(res.response), 0);
    siphon_msg_unref(res.response);
    CHECK_INT(siphon_reg_count(r), 2);
    siphon_reg_free(r);
}

/* ---- expiry on the injected clock ------------------------------------------- */

UNIT_TEST(reg_expiry_on_injected_clock)
{
    siphon_reg *r = new_reg();
    CHECK_INT(siphon_reg_next_deadline(r), UINT64_MAX);
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:a@h>;expires=60, <sip:b@h>;expires=120\r\n", 5000,
                   NULL),
              200);
    CHECK_INT(siphon_reg_next_deadline(r), 65000);
    const siphon_reg_binding *b[16];
    CHECK_INT(reg_lookup(r, BOB, 64999, b), 2);
    /* at the deadline the binding is gone from lookups, even unpurged */
    CHECK_INT(reg_lookup(r, BOB, 65000, b), 1);
    CHECK_INT(siphon_reg_tick(r, 64999), 0);
    CHECK_INT(siphon_reg_tick(r, 65000), 1);
    CHECK_INT(siphon_reg_count(r), 1);
    CHECK_INT(siphon_reg_next_deadline(r), 125000);
    /* a REGISTER purges what is due before it looks */
    siphon_reg_result res;
    CHECK_INT(reg1(r, "c1", 2, "", 125000, &res), 200);
    CHECK_INT(reg_ncontacts(res.response), 0);
    siphon_msg_unref(res.response);
    CHECK_INT(siphon_reg_count(r), 0);
    CHECK_INT(siphon_reg_aor_count(r), 0);
    CHECK_INT(siphon_reg_next_deadline(r), UINT64_MAX);
    siphon_reg_free(r);
}

UNIT_TEST(reg_expiry_many_bindings_in_order)
{
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.min_expires = 0;
    siphon_reg *r = siphon_reg_new(&cfg);
    /* 200 AORs with intervals in a scrambled order */
    for (unsigned i = 0; i < 200; i++) {
        char to[64], c[96];
        snprintf(to, sizeof to, "sip:u%u@example.com", i);
        snprintf(c, sizeof c, "Contact: <sip:u@h>;expires=%u\r\n", 1 + (i * 37) % 200);
        CHECK_INT(reg_run(r, reg_request(to, "c", 1, c), 0, NULL), 200);
    }
    CHECK_INT(siphon_reg_count(r), 200);
    uint64_t last = 0;
    size_t total = 0;
    while (siphon_reg_count(r)) {
        uint64_t d = siphon_reg_next_deadline(r);
        CHECK(d > last);
        last = d;
        size_t n = siphon_reg_tick(r, d);
        CHECK_INT(n, 1);
        total += n;
        if (n != 1)
            break;
    }
    CHECK_INT(total, 200);
    CHECK_INT(siphon_reg_aor_count(r), 0);
    siphon_reg_free(r);
}

/* ---- events ----------------------------------------------------------------- */

UNIT_TEST(reg_events_added_refreshed_removed_expired)
{
    siphon_reg *r = new_reg_with(1, "Contact: <sip:a@h>, <sip:b@h>\r\n");
    CHECK_INT(reg1(r, "c1", 2, "Contact: <sip:a@h>;expires=60, <sip:b@h>;expires=0\r\n", 0,
                   NULL),
              200);
    siphon_reg_tick(r, 60000);
    const siphon_reg_event_type want[] = {SIPHON_REG_EV_ADDED, SIPHON_REG_EV_ADDED,
                                          SIPHON_REG_EV_REFRESHED, SIPHON_REG_EV_REMOVED,
                                          SIPHON_REG_EV_EXPIRED};
    const char *uri[] = {"sip:a@h", "sip:b@h", "sip:a@h", "sip:b@h", "sip:a@h"};
    siphon_reg_event ev;
    size_t n = 0;
    while (siphon_reg_poll(r, &ev)) {
        if (n < 5) {
            CHECK_INT(ev.type, want[n]);
            CHECK_STR(ev.contact, uri[n]);
            CHECK_STR(ev.aor, BOB);
        }
        n++;
    }
    CHECK_INT(n, 5);
    CHECK_INT(siphon_reg_events_dropped(r), 0);
    CHECK(strcmp(siphon_reg_event_name(SIPHON_REG_EV_EXPIRED), "EXPIRED") == 0);
    siphon_reg_free(r);
}

UNIT_TEST(reg_events_bounded_queue)
{
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.max_events = 2;
    siphon_reg *r = siphon_reg_new(&cfg);
    CHECK_INT(reg1(r, "c1", 1, "Contact: <sip:a@h>, <sip:b@h>, <sip:c@h>\r\n", 0, NULL), 200);
    CHECK_INT(siphon_reg_events_dropped(r), 1);
    /* left unpolled: siphon_reg_free releases them (ASan checks) */
    siphon_reg_free(r);
}
