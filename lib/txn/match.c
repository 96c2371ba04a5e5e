/*
 * match.c -- which transaction a message belongs to: RFC 3261 §17.1.3
 * (responses to client transactions), §17.2.3 (requests to server
 * transactions, with the RFC 2543 fallback for branches without the
 * z9hG4bK cookie) and §9.2 (the INVITE a CANCEL refers to).
 *
 * No key strings are stored: a transaction keeps only the 32-bit hash of
 * its key, and candidates in the bucket are confirmed against the request
 * it holds (whose typed headers the message layer caches).
 */
#include "txn_internal.h"

#include <string.h>

/* Different seeds keep branch keys and RFC 2543 keys apart. */
#define SEED_BRANCH 2166136261u
#define SEED_2543 0x9e3779b9u

static uint32_t fnv(uint32_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

/* §8.1.1.7: branches minted by RFC 3261 elements start with the cookie,
 * which is what licenses branch-only matching. */
static bool has_cookie(const siphon_via *v)
{
    return v->has_branch && v->branch.len >= 7 &&
           memcmp(v->branch.p, "z9hG4bK", 7) == 0;
}

/* The branch is a token, and §7.3.1 makes tokens case-insensitive, so
 * the key is hashed folded and compared with siphon_str_caseeq(). */
static uint32_t hash_branch(const siphon_via *v)
{
    uint32_t h = SEED_BRANCH;
    for (size_t i = 0; i < v->branch.len; i++) {
        unsigned char c = (unsigned char)v->branch.p[i];
        h ^= c >= 'A' && c <= 'Z' ? c + 32u : c;
        h *= 16777619u;
    }
    return h;
}

/* The RFC 2543 key: Call-ID and CSeq number, which every message of the
 * INVITE transaction (INVITE, ACK, CANCEL) shares. */
static uint32_t hash_2543(siphon_msg *m, const siphon_cseq *cs)
{
    siphon_str cid = siphon_msg_call_id(m);
    uint32_t h = fnv(SEED_2543, cid.p, cid.len);
    return fnv(h, (const char *)&cs->num, sizeof cs->num);
}

bool txn_same_method(siphon_msg *a, siphon_msg *b)
{
    siphon_method ma = siphon_msg_method_id(a), mb = siphon_msg_method_id(b);
    if (ma != mb)
        return false;
    /* Extension methods compare as strings, case-sensitively (§7.1). */
    return ma != SIPHON_METHOD_OTHER ||
           siphon_str_eq(siphon_msg_method(a), siphon_msg_method(b));
}

int txn_key_request(siphon_msg *req, txn_key *k)
{
    const siphon_via *v = siphon_msg_via(req);
    const siphon_cseq *cs = siphon_msg_cseq(req);
    if (!v || !cs)
        return SIPHON_EINVAL;
    /* §8.1.1.5: the CSeq method matches the request's; a mismatch would
     * let one message match two different transactions. */
    if (!siphon_str_eq(cs->method, siphon_msg_method(req)))
        return SIPHON_EINVAL;
    k->rfc2543 = !has_cookie(v);
    k->hash = k->rfc2543 ? hash_2543(req, cs) : hash_branch(v);
    return 0;
}

int txn_key_response(siphon_msg *resp, txn_key *k)
{
    const siphon_via *v = siphon_msg_via(resp);
    const siphon_cseq *cs = siphon_msg_cseq(resp);
    if (!v || !cs)
        return SIPHON_EINVAL;
    k->rfc2543 = false;
    k->hash = hash_branch(v);
    return 0;
}

/*
 * §17.1.3: the response's top Via branch equals the request's, and its
 * CSeq method equals the request's method -- so that a response to a
 * CANCEL (same branch as its INVITE) reaches the CANCEL's transaction.
 */
siphon_txn *txn_match_response(siphon_txn_layer *l, siphon_msg *resp)
{
    txn_key k;
    if (txn_key_response(resp, &k) < 0)
        return NULL;
    const siphon_via *v = siphon_msg_via(resp);
    const siphon_cseq *cs = siphon_msg_cseq(resp);
    for (siphon_txn *t = l->buckets[k.hash & (l->nbuckets - 1)]; t;
         t = t->hnext) {
        if (t->hash != k.hash ||
            (t->kind != SIPHON_TXN_ICT && t->kind != SIPHON_TXN_NICT))
            continue;
        const siphon_via *tv = siphon_msg_via(t->req);
        if (!tv || !siphon_str_caseeq(tv->branch, v->branch))
            continue;
        if (siphon_str_eq(cs->method, siphon_msg_method(t->req)))
            return t;
    }
    return NULL;
}

static bool same_sent_by(const siphon_via *a, const siphon_via *b)
{
    return siphon_str_caseeq(a->host, b->host) &&
           (a->has_port ? a->port : 0) == (b->has_port ? b->port : 0);
}

static siphon_str tag_of(const siphon_nameaddr *na)
{
    return na && na->has_tag ? na->tag : SIPHON_STR_NULL;
}

static bool same_ruri(siphon_msg *a, siphon_msg *b)
{
    siphon_perr err;
    const siphon_uri *ua = siphon_msg_ruri(a, &err);
    const siphon_uri *ub = siphon_msg_ruri(b, &err);
    if (ua && ub)
        return siphon_uri_equal(ua, ub); /* §19.1.4 */
    return siphon_str_eq(siphon_msg_ruri_str(a), siphon_msg_ruri_str(b));
}

/*
 * §17.2.3, RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number
 * and top Via equal those of the request that created the transaction.
 * For an ACK the To tag must be the one of the response the transaction
 * sent; for anything else the request's To tag (and, through the method
 * check of the caller, the CSeq method). Tags are tokens, compared without
 * case (§7.3.1); Call-ID is case-sensitive (§20.8); the top Via must be
 * the same bytes, as a retransmission's is.
 */
static bool match_2543(siphon_txn *t, siphon_msg *m, bool is_ack)
{
    siphon_msg *o = t->req;
    const siphon_cseq *cm = siphon_msg_cseq(m), *co = siphon_msg_cseq(o);
    const siphon_via *vm = siphon_msg_via(m), *vo = siphon_msg_via(o);
    if (!cm || !co || !vm || !vo || cm->num != co->num ||
        !siphon_str_eq(vm->raw, vo->raw) ||
        !siphon_str_eq(siphon_msg_call_id(m), siphon_msg_call_id(o)) ||
        !siphon_str_caseeq(tag_of(siphon_msg_from(m)),
                           tag_of(siphon_msg_from(o))) ||
        !same_ruri(m, o))
        return false;
    siphon_str want = is_ack ? (t->last ? tag_of(siphon_msg_to(t->last))
                                        : SIPHON_STR_NULL)
                             : tag_of(siphon_msg_to(o));
    return siphon_str_caseeq(tag_of(siphon_msg_to(m)), want);
}

siphon_txn *txn_match_request(siphon_txn_layer *l, siphon_msg *req,
                              bool as_invite)
{
    txn_key k;
    if (txn_key_request(req, &k) < 0)
        return NULL;
    const siphon_via *v = siphon_msg_via(req);
    bool is_ack = siphon_msg_method_id(req) == SIPHON_METHOD_ACK;
    /* An ACK belongs to the INVITE it acknowledges (§17.2.3), and so does
     * a CANCEL when the TU looks for what it cancels (§9.2). */
    bool want_invite = as_invite || is_ack ||
                       siphon_msg_method_id(req) == SIPHON_METHOD_INVITE;
    for (siphon_txn *t = l->buckets[k.hash & (l->nbuckets - 1)]; t;
         t = t->hnext) {
        if (t->hash != k.hash || t->rfc2543 != k.rfc2543)
            continue;
        bool kind_ok = want_invite ? t->kind == SIPHON_TXN_IST
                                   : t->kind == SIPHON_TXN_NIST &&
                                         txn_same_method(t->req, req);
        if (!kind_ok)
            continue;
        if (k.rfc2543) {
            if (match_2543(t, req, is_ack && !as_invite))
                return t;
            continue;
        }
        /* RFC 3261 rule: branch and sent-by (the branch is only unique
         * per sender), method as checked above. */
        const siphon_via *tv = siphon_msg_via(t->req);
        if (tv && siphon_str_caseeq(tv->branch, v->branch) &&
            same_sent_by(tv, v))
            return t;
    }
    return NULL;
}

/*
 * The server transaction a TU's response belongs to: the response copies
 * the request's Vias and CSeq (§8.2.6.2), so its top Via and CSeq method
 * name the transaction as the request did (§17.2.3). Without the cookie
 * the RFC 2543 key is Call-ID and CSeq number, confirmed by the top Via
 * bytes and the From tag, which a response copies unchanged.
 */
siphon_txn *siphon_txn_find_server(siphon_txn_layer *l, siphon_msg *resp)
{
    if (!l || !resp || siphon_msg_is_request(resp))
        return NULL;
    const siphon_via *v = siphon_msg_via(resp);
    const siphon_cseq *cs = siphon_msg_cseq(resp);
    if (!v || !cs)
        return NULL;
    bool rfc2543 = !has_cookie(v);
    uint32_t hash = rfc2543 ? hash_2543(resp, cs) : hash_branch(v);
    for (siphon_txn *t = l->buckets[hash & (l->nbuckets - 1)]; t;
         t = t->hnext) {
        if (t->hash != hash || t->rfc2543 != rfc2543 ||
            (t->kind != SIPHON_TXN_IST && t->kind != SIPHON_TXN_NIST) ||
            !siphon_str_eq(cs->method, siphon_msg_method(t->req)))
            continue;
        const siphon_via *tv = siphon_msg_via(t->req);
        if (!tv)
            continue;
        if (rfc2543) {
            const siphon_cseq *tc = siphon_msg_cseq(t->req);
            if (tc && tc->num == cs->num && siphon_str_eq(tv->raw, v->raw) &&
                siphon_str_eq(siphon_msg_call_id(resp),
                              siphon_msg_call_id(t->req)) &&
                siphon_str_caseeq(tag_of(siphon_msg_from(resp)),
                                  tag_of(siphon_msg_from(t->req))))
                return t;
        } else if (siphon_str_caseeq(tv->branch, v->branch) &&
                   same_sent_by(tv, v)) {
            return t;
        }
    }
    return NULL;
}
