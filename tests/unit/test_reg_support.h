/*
 * test_reg_support.h -- helpers for the registrar tests (test_reg*.c):
 * REGISTER requests made from a few parts, and the Contacts of a 200.
 */
#ifndef SIPHON_TEST_REG_SUPPORT_H
#define SIPHON_TEST_REG_SUPPORT_H

#include <siphon/reg.h>

/* The AOR most tests register. */
#define BOB "sip:bob@example.com"

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

/* reg_run() of a REGISTER for BOB with Call-ID cid, CSeq and extra. */
int reg1(siphon_reg *r, const char *cid, unsigned cseq, const char *extra,
         uint64_t now_ms, siphon_reg_result *res);

/*
 * reg_run() of a request that is to be refused: checks the reason phrase
 * (unless NULL) and the Warning (unless NULL; "" for any Warning at all,
 * else text it must contain), then releases the response. The status.
 */
int reg_refused(siphon_reg *r, siphon_msg *req, uint64_t now_ms,
                const char *reason, const char *warning);

/* The Contact values of a response, or NULL. */
const siphon_nameaddr *reg_contacts(siphon_msg *resp);
size_t reg_ncontacts(siphon_msg *resp);
/* The value of the first field called name, or an empty view. */
siphon_str reg_header(siphon_msg *m, const char *name);
/* Live bindings of aor at now_ms (sorted), up to 16. */
long reg_lookup(siphon_reg *r, const char *aor, uint64_t now_ms,
                const siphon_reg_binding **out);
/* The one live binding of aor at now_ms (checked to be the only one). When
 * there is not exactly one, an empty binding, so that the caller's checks
 * fail instead of crashing. */
const siphon_reg_binding *reg_only(siphon_reg *r, const char *aor,
                                   uint64_t now_ms);

#endif
