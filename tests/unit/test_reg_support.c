/*
 * test_reg_support.c -- helpers for the registrar tests.
 */
#include "test_reg_support.h"
#include "unit.h"

#include <stdlib.h>

siphon_msg *reg_parse(const char *text)
{
    siphon_msg *m = NULL;
    siphon_perr e;
    int rc = siphon_msg_parse(text, strlen(text), NULL, &m, &e);
    if (rc)
        unit_fail(__FILE__, __LINE__, "request does not parse: %s", e.text);
    return m;
}

siphon_msg *reg_request(const char *to, const char *call_id, unsigned cseq,
                        const char *extra)
{
    static unsigned branch;
    size_t cap = strlen(extra) + 2 * strlen(to) + strlen(call_id) + 512;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    branch++;
    snprintf(buf, cap,
             "REGISTER sip:example.com SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg%u\r\n"
             "Max-Forwards: 70\r\n"
             "To: <%s>\r\n"
             "From: <%s>;tag=f%u\r\n"
             "Call-ID: %s\r\n"
             "CSeq: %u REGISTER\r\n"
             "%s"
             "Content-Length: 0\r\n\r\n",
             branch, to, to, branch, call_id, cseq, extra);
    siphon_msg *m = reg_parse(buf);
    free(buf);
    return m;
}

int reg_run(siphon_reg *r, siphon_msg *req, uint64_t now_ms,
            siphon_reg_result *res)
{
    if (!req)
        return -1;
    siphon_reg_input in = {.now_ms = now_ms, .now_wall = REG_T_WALL,
                           .to_tag = SIPHON_STR_LIT("regtag")};
    siphon_reg_result local;
    siphon_reg_result *out = res ? res : &local;
    int rc = siphon_reg_process(r, req, &in, out);
    siphon_msg_unref(req);
    if (rc) {
        unit_fail(__FILE__, __LINE__, "siphon_reg_process: %s", siphon_errname(rc));
        return rc;
    }
    int st = out->action == SIPHON_REG_FORWARD ? 0 : out->status;
    if (out->action == SIPHON_REG_RESPOND &&
        (!out->response || siphon_msg_status(out->response) != st))
        unit_fail(__FILE__, __LINE__, "result status %d without its response", st);
    if (!res)
        siphon_msg_unref(local.response);
    return st;
}

int reg1(siphon_reg *r, const char *cid, unsigned cseq, const char *extra,
         uint64_t now_ms, siphon_reg_result *res)
{
    return reg_run(r, reg_request(BOB, cid, cseq, extra), now_ms, res);
}

int reg_refused(siphon_reg *r, siphon_msg *req, uint64_t now_ms,
                const char *reason, const char *warning)
{
    siphon_reg_result res = {0};
    int st = reg_run(r, req, now_ms, &res);
    if (!res.response) {
        unit_fail(__FILE__, __LINE__, "no response to check (status %d)", st);
        return st;
    }
    if (reason)
        CHECK_STR(siphon_msg_reason(res.response), reason);
    if (warning) {
        siphon_str w = reg_header(res.response, "Warning");
        CHECK(w.len > 0 && memmem(w.p, w.len, warning, strlen(warning)) != NULL);
    }
    siphon_msg_unref(res.response);
    return st;
}

const siphon_nameaddr *reg_contacts(siphon_msg *resp)
{
    const void *v = NULL;
    return resp && siphon_msg_typed(resp, SIPHON_HDR_CONTACT, &v, NULL) == 0 ? v : NULL;
}

size_t reg_ncontacts(siphon_msg *resp)
{
    size_t n = 0;
    for (const siphon_nameaddr *na = reg_contacts(resp); na; na = na->next)
        n++;
    return n;
}

siphon_str reg_header(siphon_msg *m, const char *name)
{
    long i = m ? siphon_msg_hdr_next_name(m, name, strlen(name), 0) : -1;
    return i < 0 ? SIPHON_STR_NULL : siphon_msg_hdr_at(m, (size_t)i)->value;
}

long reg_lookup(siphon_reg *r, const char *aor, uint64_t now_ms,
                const siphon_reg_binding **out)
{
    return siphon_reg_lookup(r, siphon_str_c(aor), now_ms, out, 16);
}

const siphon_reg_binding *reg_only(siphon_reg *r, const char *aor,
                                   uint64_t now_ms)
{
    static const siphon_reg_binding none;
    const siphon_reg_binding *b[16];
    long n = reg_lookup(r, aor, now_ms, b);
    CHECK_INT(n, 1);
    return n == 1 ? b[0] : &none;
}
