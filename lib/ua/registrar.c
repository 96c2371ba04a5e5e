/*
 * registrar.c -- the endpoint as a registrar (RFC 3261 §10.3): REGISTER
 * requests are authenticated with digest (§22, RFC 7616, step 3 of
 * §10.3) when an auth server is set, then handed to the location service
 * (lib/reg), and answered without reaching the TU. lib/auth and lib/reg
 * are sans-I/O; this file gives them the loop's clock, the wall clock
 * for Date, a To tag and the flow the request came on.
 */
#include "ua_internal.h"

#include <siphon/auth.h>
#include <siphon/reg.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

void siphon_ua_set_registrar(siphon_ua *ua, const siphon_ua_registrar *r)
{
    if (r)
        ua->registrar = *r;
    else
        memset(&ua->registrar, 0, sizeof ua->registrar);
}

static siphon_msg *challenge(siphon_ua *ua, siphon_msg *req, bool stale)
{
    siphon_msgb *b = siphon_msgb_response_to(req, 401, SIPHON_STR_NULL,
                                             siphon_str_c("siphon-reg"));
    siphon_msg *out = NULL;
    siphon_perr err;
    if (b && siphon_auth_server_add_challenges(ua->registrar.auth, b, false,
                                               ua_now(ua), stale) == 0 &&
        siphon_msgb_finish(b, &out, &err) < 0)
        out = NULL;
    siphon_msgb_free(b);
    return out;
}

static siphon_msg *plain(siphon_msg *req, int status, const char *why)
{
    siphon_msg *out = NULL;
    if (siphon_msg_response(req, status, siphon_str_c(why),
                            siphon_str_c("siphon-reg"), &out) < 0)
        return NULL;
    return out;
}

bool ua_registrar_handle(siphon_ua *ua, siphon_txn *stx, siphon_msg *req,
                         const siphon_ua_flow *from)
{
    siphon_ua_registrar *r = &ua->registrar;
    if (!r->reg || siphon_msg_method_id(req) != SIPHON_METHOD_REGISTER)
        return false;
    siphon_msg *resp = NULL;
    if (r->auth) {
        /* §10.3 step 3: who may touch these bindings is decided by the
         * credentials; anything short of OK gets a challenge, stale=true
         * when only the nonce aged, 400 when the answer is malformed. */
        siphon_auth_verdict v;
        siphon_auth_result ar = siphon_auth_server_verify_msg(
            r->auth, req, false, r->lookup, r->lookup_arg, ua_now(ua), &v);
        if (ar == SIPHON_AUTH_MALFORMED)
            resp = plain(req, 400, v.reason);
        else if (ar != SIPHON_AUTH_OK)
            resp = challenge(ua, req, ar == SIPHON_AUTH_STALE);
        if (ar != SIPHON_AUTH_OK) {
            if (ar != SIPHON_AUTH_NO_CREDENTIALS)
                siphon_log(SIPHON_LOG_INFO, "ua", "REGISTER refused: %s (%s)",
                           siphon_auth_result_name(ar), v.reason);
            goto send;
        }
    }
    char source[SIPHON_ADDR_STRLEN + 8];
    char peer[SIPHON_ADDR_STRLEN];
    siphon_addr_format((const struct sockaddr *)&from->peer, peer, sizeof peer);
    snprintf(source, sizeof source, "%s/%s",
             siphon_transport_name(from->transport), peer);
    char tag[24];
    ua_new_branch(tag);
    siphon_reg_input in = {.now_ms = ua_now(ua),
                           .now_wall = (int64_t)time(NULL),
                           .to_tag = siphon_str_c(tag + 7),
                           .source = siphon_str_c(source)};
    siphon_reg_result res;
    int rc = siphon_reg_process(r->reg, req, &in, &res);
    if (rc < 0)
        resp = plain(req, rc == SIPHON_ENOMEM ? 500 : 400,
                      rc == SIPHON_ENOMEM ? "Out of memory" : "Bad REGISTER");
    else if (res.action == SIPHON_REG_FORWARD)
        resp = plain(req, 404, "Not Found (domain not served here)");
    else
        resp = res.response;
send:
    if (resp) {
        siphon_txn_respond(ua->txl, stx, resp, ua_now(ua));
        siphon_msg_unref(resp);
    }
    return true;
}
