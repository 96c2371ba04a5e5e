/*
 * test_ua_register.c -- the endpoint as a registrar with digest auth
 * (RFC 3261 §10.3, §22, RFC 7616) and as a client that answers 401/407
 * on its own: REGISTER goes out, comes back 401, goes again with
 * credentials (CSeq + 1, new branch) and gets 200; a wrong password ends
 * in the 401; the binding lands in the location service.
 */
#include "test_net_tcp_support.h"
#include "unit.h"

#include <siphon/ua.h>

#include <stdio.h>
#include <string.h>

typedef struct outcome {
    int finals, status, err, provisional;
    unsigned cseq;
} outcome;

static void on_final(void *arg, siphon_ua_client *c, siphon_msg *resp,
                     int err, bool final)
{
    outcome *o = arg;
    if (!final) {
        o->provisional++;
        return;
    }
    o->finals++;
    o->err = err;
    o->status = resp ? siphon_msg_status(resp) : 0;
    const siphon_cseq *cs =
        resp ? siphon_msg_cseq(resp) : NULL;
    o->cseq = cs ? (unsigned)cs->num : 0;
    (void)c;
}

static siphon_msg *register_req(const char *registrar, int n)
{
    char text[512];
    int len = snprintf(text, sizeof text,
                       "REGISTER sip:%s SIP/2.0\r\nMax-Forwards: 70\r\n"
                       "From: <sip:alice@siphon.test>;tag=r%d\r\n"
                       "To: <sip:alice@siphon.test>\r\n"
                       "Call-ID: reg-%d@siphon.test\r\nCSeq: 10 REGISTER\r\n"
                       "Contact: <sip:alice@127.0.0.1:5999>;expires=600\r\n"
                       "Content-Length: 0\r\n\r\n",
                       registrar, n, n);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msg_parse(text, (size_t)len, NULL, &m, &err), 0);
    return m;
}

UNIT_TEST(ua_register_with_digest)
{
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    /* the registrar: SHA-256 offered first, then MD5 (RFC 8760 order) */
    siphon_reg_config rc = SIPHON_REG_CONFIG_DEFAULT;
    siphon_reg *reg = siphon_reg_new(&rc);
    siphon_auth_server_config sc;
    siphon_auth_server_config_default(&sc);
    sc.realm = "siphon.test";
    sc.rng = siphon_auth_rng_openssl;
    int err = 0;
    siphon_auth_server *as = siphon_auth_server_new(&sc, &err);
    CHECK(as != NULL);
    static const char users_json[] = "{\"alice\": \"wonderland\"}";
    siphon_auth_users *users = NULL;
    siphon_perr perr;
    CHECK_INT(siphon_auth_users_parse(users_json, sizeof users_json - 1,
                                      "siphon.test", &users, &perr), 0);
    siphon_ua *srv;
    CHECK_INT(siphon_ua_new(loop, NULL, NULL, &srv), 0);
    struct sockaddr_storage sa;
    CHECK_INT(siphon_ua_listen(srv, SIPHON_RESOLVE_UDP, "127.0.0.1:0", NULL,
                               &sa), 0);
    siphon_ua_registrar r = {.reg = reg, .auth = as,
                             .lookup = siphon_auth_users_lookup,
                             .lookup_arg = users};
    siphon_ua_set_registrar(srv, &r);
    char addr[SIPHON_ADDR_STRLEN];
    siphon_addr_format((struct sockaddr *)&sa, addr, sizeof addr);

    siphon_ua *cli;
    CHECK_INT(siphon_ua_new(loop, NULL, NULL, &cli), 0);
    CHECK_INT(siphon_ua_listen(cli, SIPHON_RESOLVE_UDP, "127.0.0.1:0", NULL,
                               NULL), 0);

    /* Right password: 401, then 200 to the retry (CSeq 11). */
    siphon_ua_credentials good = {.username = "alice",
                                  .password = "wonderland"};
    siphon_ua_dest d = {.addr = addr, .credentials = &good};
    outcome o = {0};
    siphon_msg *req = register_req(addr, 1);
    CHECK_INT(siphon_ua_request(cli, req, &d, on_final, &o, NULL), 0);
    siphon_msg_unref(req);
    for (int i = 0; i < 300 && !o.finals; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(o.status, 200);
    CHECK_INT(o.cseq, 11);
    const siphon_reg_binding *b[4];
    CHECK_INT(siphon_reg_lookup(reg, siphon_str_c("sip:alice@siphon.test"),
                                siphon_loop_now(loop), b, 4), 1);

    /* Wrong password: the registrar keeps challenging; the second 401 is
     * the TU's final answer. */
    siphon_ua_credentials bad = {.username = "alice", .password = "nope"};
    d.credentials = &bad;
    memset(&o, 0, sizeof o);
    req = register_req(addr, 2);
    CHECK_INT(siphon_ua_request(cli, req, &d, on_final, &o, NULL), 0);
    siphon_msg_unref(req);
    for (int i = 0; i < 300 && !o.finals; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(o.status, 401);

    /* No credentials at all: the 401 goes straight to the TU. */
    d.credentials = NULL;
    memset(&o, 0, sizeof o);
    req = register_req(addr, 3);
    CHECK_INT(siphon_ua_request(cli, req, &d, on_final, &o, NULL), 0);
    siphon_msg_unref(req);
    for (int i = 0; i < 300 && !o.finals; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(o.status, 401);
    CHECK_INT(o.cseq, 10);

    /* MD5 only, first challenge only (SIPp/sipsak style) against a
     * SHA-256-first offer: the first challenge is not answerable, so the
     * TU sees the 401. */
    siphon_ua_credentials old = {.username = "alice", .password = "wonderland",
                                 .algo_mask = 1u << SIPHON_AUTH_MD5,
                                 .first_only = true};
    d.credentials = &old;
    memset(&o, 0, sizeof o);
    req = register_req(addr, 4);
    CHECK_INT(siphon_ua_request(cli, req, &d, on_final, &o, NULL), 0);
    siphon_msg_unref(req);
    for (int i = 0; i < 300 && !o.finals; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(o.status, 401);

    siphon_ua_free(cli);
    siphon_ua_free(srv);
    siphon_auth_users_free(users);
    siphon_auth_server_free(as);
    siphon_reg_free(reg);
    siphon_loop_free(loop);
}
