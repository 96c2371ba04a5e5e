/*
 * test_reg_support.h -- helpers for the registrar tests (test_reg*.c):
 * REGISTER requests made from a few parts, and the Contacts of a 200.
 */
#ifndef SIPHON_TEST_REG_SUPPORT_H
#define SIPHON_TEST_REG_SUPPORT_H

#include <siphon/reg.h>

/* 13 Nov 2010 23:29:00 GMT, the RFC 3261 §20.17 example date. */
#define REG_T_WALL 1289690940

/*
 * "REGISTER sip:example.com" from and to `to`, with that Call-ID and CSeq,
 * then `extra` (whole header lines, each ending in CRLF; may be ""). NULL
 * (and a test failure) when it does not parse.
 */
siphon_msg *reg_request(const char *to, const char *call_id, unsigned cseq,
                        const char *extra);
/* Raw bytes parsed; NULL and a failure when they do not. */
siphon_msg *reg_parse(const char *text);

/* Process req at now_ms and return the response status (the result in
 * *res when not NULL, which the caller then releases); unrefs req. */
int reg_run(siphon_reg *r, siphon_msg *req, uint64_t now_ms,
            siphon_reg_result *res);

/* The Contact values of a response, or NULL. */
const siphon_nameaddr *reg_contacts(siphon_msg *resp);
size_t reg_ncontacts(siphon_msg *resp);
/* The value of the first field called name, or an empty view. */
siphon_str reg_header(siphon_msg *m, const char *name);
/* Live bindings of aor at now_ms (sorted), up to 16. */
long reg_lookup(siphon_reg *r, const char *aor, uint64_t now_ms,
                const siphon_reg_binding **out);

#endif
