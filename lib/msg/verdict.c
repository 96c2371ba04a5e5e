/*
 * verdict.c -- what a receiving element does with a message: accept it,
 * reject it with a status, or drop it.
 *
 * RFC 3261 §8.1.1 and §8.2.2-3 (mandatory headers, CSeq), §7.1 and §8.2.2
 * (505 for an unknown version), §18.3 (framing errors), §21.4.11 (513);
 * RFC 4475 §3.1.2 and §3.3 for the cases: responses that are malformed are
 * discarded, never answered (§3.1.2.5, §3.1.2.19).
 */
#include "msg_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *siphon_verdict_name(siphon_verdict_kind k)
{
    switch (k) {
    case SIPHON_VERDICT_ACCEPT: return "accept";
    case SIPHON_VERDICT_REJECT: return "reject";
    case SIPHON_VERDICT_DROP: return "drop";
    }
    return "?";
}

static void set_verdict(siphon_verdict *v, bool request, int status,
                        const siphon_perr *where, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void set_verdict(siphon_verdict *v, bool request, int status,
                        const siphon_perr *where, const char *fmt, ...)
{
    v->kind = request ? SIPHON_VERDICT_REJECT : SIPHON_VERDICT_DROP;
    v->status = request ? status : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof v->reason, fmt, ap);
    va_end(ap);
    if (where)
        v->where = *where;
}

static void accept(siphon_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->kind = SIPHON_VERDICT_ACCEPT;
}

/* Headers that may appear once only (RFC 3261 §7.3.1, §20; RFC 4475
 * §3.3.8). */
static const siphon_hdr_id single_valued[] = {
    SIPHON_HDR_CALL_ID, SIPHON_HDR_CSEQ, SIPHON_HDR_FROM, SIPHON_HDR_TO,
    SIPHON_HDR_MAX_FORWARDS, SIPHON_HDR_CONTENT_TYPE, SIPHON_HDR_EXPIRES,
    SIPHON_HDR_MIN_EXPIRES, SIPHON_HDR_RSEQ, SIPHON_HDR_RACK,
    SIPHON_HDR_SESSION_EXPIRES, SIPHON_HDR_MIN_SE, SIPHON_HDR_EVENT,
    SIPHON_HDR_SUBSCRIPTION_STATE, SIPHON_HDR_REFER_TO, SIPHON_HDR_REPLACES,
    SIPHON_HDR_DATE, SIPHON_HDR_TIMESTAMP, SIPHON_HDR_RETRY_AFTER,
};

static const siphon_hdr_id mandatory[] = {
    SIPHON_HDR_TO, SIPHON_HDR_FROM, SIPHON_HDR_CALL_ID, SIPHON_HDR_CSEQ, SIPHON_HDR_VIA,
};

void siphon_msg_verdict(siphon_msg *m, siphon_verdict *v)
{
    accept(v);
    bool req = m->is_request;
    siphon_perr where;
    memset(&where, 0, sizeof where);
    where.offset = (size_t)(m->version.p - m->bytes);
    where.rule = "SIP-Version";

    /* RFC 3261 §8.2.2 (via §7.1): any version but 2.0 gets 505 */
    if (!siphon_str_caseeq_c(m->version, "SIP/2.0")) {
        snprintf(where.text, sizeof where.text, "unsupported version %.*s",
                 (int)(m->version.len > 20 ? 20 : m->version.len), m->version.p);
        set_verdict(v, req, 505, &where, "Version Not Supported");
        return;
    }
    if (siphon_msg_parse_all(m, &where) != 0) {
        const char *what = where.header ? where.header
                           : req ? "Request-URI" : where.rule;
        set_verdict(v, req, 400, &where, "Bad %s", what);
        return;
    }

    /* mandatory headers (RFC 3261 §8.1.1; RFC 4475 §3.3.1) */
    char missing[96] = "";
    for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++)
        if (!m->first[mandatory[i]]) {
            size_t n = strlen(missing);
            snprintf(missing + n, sizeof missing - n, "%s%s", n ? ", " : "",
                     siphon_hdr_name(mandatory[i]));
        }
    if (missing[0]) {
        memset(&where, 0, sizeof where);
        where.offset = m->nhdrs ? (size_t)(m->hdrs[0].line.p - m->bytes) : m->len;
        where.rule = "message-header";
        snprintf(where.text, sizeof where.text, "required header(s) missing: %s", missing);
        set_verdict(v, req, 400, &where, "Missing %s", missing);
        return;
    }
    for (size_t i = 0; i < sizeof single_valued / sizeof single_valued[0]; i++) {
        siphon_hdr_id id = single_valued[i];
        long first = siphon_msg_hdr_next(m, id, 0);
        long second = first >= 0 ? siphon_msg_hdr_next(m, id, (size_t)first + 1) : -1;
        if (second >= 0) {
            memset(&where, 0, sizeof where);
            where.offset = (size_t)(m->hdrs[second].line.p - m->bytes);
            where.header = siphon_hdr_name(id);
            where.rule = "message-header";
            snprintf(where.text, sizeof where.text, "%s appears more than once",
                     siphon_hdr_name(id));
            set_verdict(v, req, 400, &where, "Multiple %s Headers", siphon_hdr_name(id));
            return;
        }
    }
    const siphon_cseq *cseq = siphon_msg_cseq(m);
    /* RFC 3261 §8.1.1.5 and §8.2.2: the CSeq method matches the request's
     * (RFC 4475 §3.1.2.17-18) */
    if (req && cseq && !siphon_str_eq(cseq->method, m->method)) {
        memset(&where, 0, sizeof where);
        where.offset = (size_t)(cseq->method.p - m->bytes);
        where.header = "CSeq";
        where.rule = "CSeq";
        snprintf(where.text, sizeof where.text, "CSeq method %.*s differs from %.*s",
                 (int)(cseq->method.len > 30 ? 30 : cseq->method.len), cseq->method.p,
                 (int)(m->method.len > 30 ? 30 : m->method.len), m->method.p);
        set_verdict(v, req, 400, &where, "CSeq Method Mismatch");
        return;
    }
    if (req) {
        const siphon_via *via = siphon_msg_via(m);
        if (via && (!via->has_branch || via->branch.len < 7 ||
                    memcmp(via->branch.p, "z9hG4bK", 7) != 0))
            msg_finding(m, SIPHON_FINDING_NOTE, "rfc2543-transaction-id",
                        "RFC 3261 §8.1.1.7; RFC 4475 §3.2.1", "Via",
                        (size_t)(via->raw.p - m->bytes),
                        "top Via branch lacks the z9hG4bK magic cookie (RFC 2543 matching)");
        if (!m->first[SIPHON_HDR_MAX_FORWARDS])
            msg_finding(m, SIPHON_FINDING_NOTE, "no-max-forwards",
                        "RFC 3261 §8.1.1.6; RFC 4475 §3.4.1", NULL,
                        (size_t)(m->start_line.p - m->bytes),
                        "request without Max-Forwards (RFC 2543 style)");
    }
    /* strict mode: every tolerated deviation is an error */
    if (m->opts.strict)
        for (const siphon_finding *f = m->findings; f; f = f->next)
            if (f->level == SIPHON_FINDING_TOLERATED) {
                memset(&where, 0, sizeof where);
                where.offset = f->offset;
                where.header = f->header;
                where.rule = f->rule;
                snprintf(where.text, sizeof where.text, "%s", f->text);
                set_verdict(v, req, 400, &where, "Bad %s", f->header ? f->header : "Request-Line");
                return;
            }
}

void siphon_verdict_bytes(const char *buf, size_t len,
                          const siphon_parse_opts *opts, siphon_verdict *v,
                          siphon_msg **out)
{
    siphon_msg *m = NULL;
    siphon_perr err;
    memset(&err, 0, sizeof err);
    if (out)
        *out = NULL;
    int rc = siphon_msg_parse(buf, len, opts, &m, &err);
    if (rc == 0) {
        siphon_msg_verdict(m, v);
        if (out)
            *out = m;
        else
            siphon_msg_unref(m);
        return;
    }
    accept(v);
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    bool response = len - i >= 4 && memcmp(buf + i, "SIP/", 4) == 0;
    if (i == len) {
        /* nothing but line breaks: a keep-alive, not a message */
        set_verdict(v, false, 0, &err, "Keep-alive");
        return;
    }
    if (rc == SIPHON_ETOOBIG)
        set_verdict(v, !response, 513, &err, "Message Too Large");
    else
        set_verdict(v, !response, 400, &err, "Bad %s",
                    err.header ? err.header : err.rule ? err.rule : "Request");
}
