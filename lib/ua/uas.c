/*
 * uas.c -- the UAS request checks of RFC 3261 §8.2, in the RFC's order,
 * before a request reaches the TU:
 *
 *   §8.2.1    method inspection: 501 for a method nobody here knows, 405
 *             with Allow for a known one this UAS does not support;
 *   §8.2.2.1  416 for a Request-URI scheme it does not serve;
 *   §8.2.2.2  482 for a merged request (no To tag, and From tag, Call-ID
 *             and CSeq of a live transaction arriving with another
 *             branch: the same request forked back to us);
 *   §8.2.2.3  420 with Unsupported for option tags in Require it lacks;
 *   §8.2.3    415 with Accept, Accept-Encoding and Accept-Language for a
 *             body it cannot take;
 *   §21.4.7   406 when the request's Accept allows none of the body
 *             types the answer would carry (INVITE, OPTIONS).
 *
 * §8.2 step zero (400 for malformed requests, missing mandatory headers,
 * CSeq/method mismatch, 505 for the version) is the verdict the endpoint
 * applies when bytes arrive (endpoint.c). Dialog-state answers (481,
 * 491, 500) belong to the dialog layer.
 */
#include "ua_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the policy's lists ------------------------------------------------- */

static const char *const default_methods[] = {
    "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "MESSAGE", "UPDATE",
    NULL};
static const char *const default_schemes[] = {"sip", "sips", "tel", NULL};
static const char *const default_types[] = {"application/sdp", "text/plain",
                                            "message/sipfrag", NULL};
static const char *const default_encodings[] = {"identity", NULL};
static const char *const default_languages[] = {"en", NULL};
static const char *const no_extensions[] = {NULL};
static const char *const default_sends[] = {"application/sdp", NULL};

void siphon_uas_policy_default(siphon_uas_policy *p)
{
    memset(p, 0, sizeof *p);
    p->methods = default_methods;
    p->extensions = no_extensions;
    p->schemes = default_schemes;
    p->content_types = default_types;
    p->encodings = default_encodings;
    p->languages = default_languages;
    p->sends = default_sends;
}

static bool listed(const char *const *list, siphon_str s)
{
    for (; list && *list; list++)
        if (siphon_str_caseeq(s, siphon_str_c(*list)))
            return true;
    return false;
}

/* "a, b, c" from a NULL-terminated list. */
static int join(siphon_buf *b, const char *const *list)
{
    int rc = 0;
    for (size_t i = 0; list && list[i]; i++) {
        if (i)
            rc |= siphon_buf_append_c(b, ", ");
        rc |= siphon_buf_append_c(b, list[i]);
    }
    return rc;
}

/* ---- the response ------------------------------------------------------- */

/* The refusal, with the headers the RFC asks for (name == NULL: none). */
static siphon_msg *refusal(siphon_msg *req, int status, const char *why,
                           const char *name, siphon_buf *value)
{
    siphon_msgb *b = siphon_msgb_response_to(req, status, siphon_str_c(why),
                                             siphon_str_c("siphon-uas"));
    if (!b)
        return NULL;
    int rc = 0;
    if (name)
        rc = siphon_msgb_add(b, siphon_str_c(name),
                             (siphon_str){value->p, value->len});
    siphon_msg *out = NULL;
    siphon_perr err;
    if (rc < 0 || siphon_msgb_finish(b, &out, &err) < 0)
        out = NULL;
    siphon_msgb_free(b);
    return out;
}

/* One header's values (any of its fields), as typed hvals. */
static const siphon_hval *values(siphon_msg *m, siphon_hdr_id id)
{
    const void *first = NULL;
    siphon_perr err;
    if (siphon_msg_typed(m, id, &first, &err) < 0)
        return NULL;
    return first;
}

/* Is every comma-separated token of every id field in the list? Content-
 * Encoding and Content-Language are plain token lists (§20.12, §20.13),
 * read from the raw values. */
static bool all_listed(siphon_msg *m, siphon_hdr_id id,
                       const char *const *list)
{
    for (long i = siphon_msg_hdr_next(m, id, 0); i >= 0;
         i = siphon_msg_hdr_next(m, id, (size_t)i + 1)) {
        siphon_str v = siphon_msg_hdr_at(m, (size_t)i)->value;
        const char *p = v.p, *end = v.p + v.len;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *e = comma ? comma : end;
            const char *a = p, *b = e;
            while (a < b && strchr(" \t\r\n", *a))
                a++;
            while (b > a && strchr(" \t\r\n", b[-1]))
                b--;
            if (b > a && !listed(list, (siphon_str){a, (size_t)(b - a)}))
                return false;
            p = comma ? comma + 1 : end;
        }
    }
    return true;
}

/* What §8.2.3 found wrong with a body: the reason, the header that tells
 * the client what we take, and that list. */
typedef struct body_fault {
    const char *why;
    const char *header;
    const char *const *accepted;
} body_fault;

/* §8.2.3: the body's type, encodings and language. Returns false when
 * the body is fine. */
static bool body_problem(const siphon_uas_policy *p, siphon_msg *req,
                         body_fault *f)
{
    if (siphon_msg_body(req).len == 0)
        return false;
    const siphon_hval *ct = values(req, SIPHON_HDR_CONTENT_TYPE);
    if (ct) {
        char type[128];
        snprintf(type, sizeof type, "%.*s/%.*s", (int)ct->value.len,
                 ct->value.p, (int)ct->subtype.len, ct->subtype.p);
        if (!listed(p->content_types, siphon_str_c(type))) {
            *f = (body_fault){"Unsupported Media Type", "Accept",
                              p->content_types};
            return true;
        }
    }
    if (!all_listed(req, SIPHON_HDR_CONTENT_ENCODING, p->encodings)) {
        *f = (body_fault){"Unsupported Content-Encoding", "Accept-Encoding",
                          p->encodings};
        return true;
    }
    if (!all_listed(req, SIPHON_HDR_CONTENT_LANGUAGE, p->languages)) {
        *f = (body_fault){"Unsupported Content-Language", "Accept-Language",
                          p->languages};
        return true;
    }
    return false;
}

/* Does an Accept range ("type/subtype", "type/ *", "* / *") cover t? */
static bool range_covers(const siphon_hval *r, const char *t)
{
    const char *slash = strchr(t, '/');
    size_t tl = slash ? (size_t)(slash - t) : strlen(t);
    siphon_str type = {t, tl}, sub = siphon_str_c(slash ? slash + 1 : "");
    bool any_type = siphon_str_eq(r->value, siphon_str_c("*"));
    bool any_sub = siphon_str_eq(r->subtype, siphon_str_c("*"));
    return (any_type || siphon_str_caseeq(r->value, type)) &&
           (any_sub || siphon_str_caseeq(r->subtype, sub));
}

/* §21.4.7: with an Accept, one of the types the answer would carry must
 * be acceptable. An empty Accept field means nothing is (§20.1). */
static bool answer_acceptable(const siphon_uas_policy *p, siphon_msg *req)
{
    siphon_method id = siphon_msg_method_id(req);
    if (!p->sends || !p->sends[0] ||
        (id != SIPHON_METHOD_INVITE && id != SIPHON_METHOD_OPTIONS) ||
        siphon_msg_hdr_next(req, SIPHON_HDR_ACCEPT, 0) < 0)
        return true;
    for (const siphon_hval *r = values(req, SIPHON_HDR_ACCEPT); r; r = r->next)
        for (const char *const *t = p->sends; *t; t++)
            if (range_covers(r, *t))
                return true;
    return false;
}

siphon_msg *siphon_uas_check(const siphon_uas_policy *p, siphon_msg *req)
{
    siphon_method id = siphon_msg_method_id(req);
    /* ACK has no response, and CANCEL is the TU's business (§9.2). */
    if (id == SIPHON_METHOD_ACK || id == SIPHON_METHOD_CANCEL)
        return NULL;
    siphon_buf v;
    siphon_buf_init(&v, 0);
    siphon_msg *out = NULL;
    siphon_str method = siphon_msg_method(req);

    /* §8.2.1: a method this element has never heard of is 501; one it
     * knows but does not serve is 405 with the Allow it does serve. */
    if (!listed(p->methods, method)) {
        if (id == SIPHON_METHOD_OTHER) {
            out = refusal(req, 501, "Not Implemented", NULL, NULL);
        } else if (join(&v, p->methods) == 0) {
            out = refusal(req, 405, "Method Not Allowed", "Allow", &v);
        }
        goto done;
    }
    /* §8.2.2.1: the scheme of the Request-URI. */
    siphon_perr err;
    const siphon_uri *u = siphon_msg_ruri(req, &err);
    if (u && !listed(p->schemes, u->scheme_name)) {
        out = refusal(req, 416, "Unsupported URI Scheme", NULL, NULL);
        goto done;
    }
    /* §8.2.2.3: every option tag in Require must be supported; the 420
     * lists the ones that are not. */
    for (const siphon_hval *r = values(req, SIPHON_HDR_REQUIRE); r;
         r = r->next) {
        if (listed(p->extensions, r->value))
            continue;
        if (v.len)
            siphon_buf_append_c(&v, ", ");
        siphon_buf_append(&v, r->value.p, r->value.len);
    }
    if (v.len) {
        out = refusal(req, 420, "Bad Extension", "Unsupported", &v);
        goto done;
    }
    /* §8.2.3 */
    body_fault f;
    if (body_problem(p, req, &f)) {
        if (join(&v, f.accepted) == 0)
            out = refusal(req, 415, f.why, f.header, &v);
        goto done;
    }
    if (!answer_acceptable(p, req))
        out = refusal(req, 406, "Not Acceptable", NULL, NULL);
done:
    siphon_buf_free(&v);
    return out;
}

/* ---- merged requests (§8.2.2.2) ----------------------------------------- */

static siphon_str from_tag(siphon_msg *m)
{
    const siphon_nameaddr *f = siphon_msg_from(m);
    return f && f->has_tag ? f->tag : SIPHON_STR_NULL;
}

static bool has_to_tag(siphon_msg *m)
{
    const siphon_nameaddr *t = siphon_msg_to(m);
    return t && t->has_tag;
}

static uint32_t fnv(uint32_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t merge_hash(siphon_msg *m, const siphon_cseq *cs)
{
    siphon_str cid = siphon_msg_call_id(m), tag = from_tag(m);
    uint32_t h = fnv(2166136261u, cid.p, cid.len);
    h = fnv(h, tag.p, tag.len);
    return fnv(h, (const char *)&cs->num, sizeof cs->num);
}

/* The same From tag, Call-ID and CSeq (number and method): what a
 * request forked back to us shares with its first copy. */
static bool same_request(siphon_msg *a, siphon_msg *b)
{
    const siphon_cseq *ca = siphon_msg_cseq(a), *cb = siphon_msg_cseq(b);
    return ca && cb && ca->num == cb->num &&
           siphon_str_eq(ca->method, cb->method) &&
           siphon_str_eq(siphon_msg_call_id(a), siphon_msg_call_id(b)) &&
           siphon_str_caseeq(from_tag(a), from_tag(b));
}

bool ua_merge_check(siphon_ua *ua, ua_origin *o, siphon_msg *req)
{
    const siphon_cseq *cs = siphon_msg_cseq(req);
    if (has_to_tag(req) || !cs)
        return false;
    if (!ua->merge &&
        !(ua->merge = calloc(UA_MERGE_BUCKETS, sizeof *ua->merge)))
        return false; /* no table, no 482: the request still gets served */
    uint32_t h = merge_hash(req, cs);
    for (ua_origin *x = ua->merge[h % UA_MERGE_BUCKETS]; x; x = x->mnext)
        if (x != o && x->merge_hash == h && x->txn &&
            same_request(siphon_txn_request(x->txn), req))
            return true;
    o->merge_hash = h;
    o->merge_indexed = true;
    ua_origin **head = &ua->merge[h % UA_MERGE_BUCKETS];
    o->mprev = NULL;
    o->mnext = *head;
    if (*head)
        (*head)->mprev = o;
    *head = o;
    return false;
}

void ua_merge_forget(siphon_ua *ua, ua_origin *o)
{
    if (!o->merge_indexed)
        return;
    if (o->mprev)
        o->mprev->mnext = o->mnext;
    else
        ua->merge[o->merge_hash % UA_MERGE_BUCKETS] = o->mnext;
    if (o->mnext)
        o->mnext->mprev = o->mprev;
    o->mprev = o->mnext = NULL;
    o->merge_indexed = false;
}
