/*
 * hdr_table.c -- header names, compact forms and method names.
 *
 * RFC 3261 §7.3.1 (names are case-insensitive), §7.3.3 and §20 (compact
 * forms), RFC 3265 (o, u), RFC 3515 (r), RFC 3892 (b), RFC 4028 (x),
 * RFC 3841 (a, j, d), RFC 8224 (y). Methods are case-sensitive (§7.1).
 */
#include "msg_internal.h"

#include <string.h>

typedef struct hdr_entry {
    const char *name;
    unsigned char len;
    char compact;
} hdr_entry;

#define H(n, c) {n, sizeof(n) - 1, c}
static const hdr_entry hdr_table[SIPHON_HDR__COUNT] = {
    [SIPHON_HDR_OTHER] = {NULL, 0, 0},
    [SIPHON_HDR_ACCEPT] = H("Accept", 0),
    [SIPHON_HDR_ACCEPT_CONTACT] = H("Accept-Contact", 'a'),
    [SIPHON_HDR_ACCEPT_ENCODING] = H("Accept-Encoding", 0),
    [SIPHON_HDR_ACCEPT_LANGUAGE] = H("Accept-Language", 0),
    [SIPHON_HDR_ALERT_INFO] = H("Alert-Info", 0),
    [SIPHON_HDR_ALLOW] = H("Allow", 0),
    [SIPHON_HDR_ALLOW_EVENTS] = H("Allow-Events", 'u'),
    [SIPHON_HDR_AUTHENTICATION_INFO] = H("Authentication-Info", 0),
    [SIPHON_HDR_AUTHORIZATION] = H("Authorization", 0),
    [SIPHON_HDR_CALL_ID] = H("Call-ID", 'i'),
    [SIPHON_HDR_CALL_INFO] = H("Call-Info", 0),
    [SIPHON_HDR_CONTACT] = H("Contact", 'm'),
    [SIPHON_HDR_CONTENT_DISPOSITION] = H("Content-Disposition", 0),
    [SIPHON_HDR_CONTENT_ENCODING] = H("Content-Encoding", 'e'),
    [SIPHON_HDR_CONTENT_LANGUAGE] = H("Content-Language", 0),
    [SIPHON_HDR_CONTENT_LENGTH] = H("Content-Length", 'l'),
    [SIPHON_HDR_CONTENT_TYPE] = H("Content-Type", 'c'),
    [SIPHON_HDR_CSEQ] = H("CSeq", 0),
    [SIPHON_HDR_DATE] = H("Date", 0),
    [SIPHON_HDR_ERROR_INFO] = H("Error-Info", 0),
    [SIPHON_HDR_EVENT] = H("Event", 'o'),
    [SIPHON_HDR_EXPIRES] = H("Expires", 0),
    [SIPHON_HDR_FROM] = H("From", 'f'),
    [SIPHON_HDR_IDENTITY] = H("Identity", 'y'),
    [SIPHON_HDR_IN_REPLY_TO] = H("In-Reply-To", 0),
    [SIPHON_HDR_MAX_FORWARDS] = H("Max-Forwards", 0),
    [SIPHON_HDR_MIME_VERSION] = H("MIME-Version", 0),
    [SIPHON_HDR_MIN_EXPIRES] = H("Min-Expires", 0),
    [SIPHON_HDR_MIN_SE] = H("Min-SE", 0),
    [SIPHON_HDR_ORGANIZATION] = H("Organization", 0),
    [SIPHON_HDR_P_ASSERTED_IDENTITY] = H("P-Asserted-Identity", 0),
    [SIPHON_HDR_PATH] = H("Path", 0),
    [SIPHON_HDR_PRIORITY] = H("Priority", 0),
    [SIPHON_HDR_PROXY_AUTHENTICATE] = H("Proxy-Authenticate", 0),
    [SIPHON_HDR_PROXY_AUTHORIZATION] = H("Proxy-Authorization", 0),
    [SIPHON_HDR_PROXY_REQUIRE] = H("Proxy-Require", 0),
    [SIPHON_HDR_RACK] = H("RAck", 0),
    [SIPHON_HDR_REASON] = H("Reason", 0),
    [SIPHON_HDR_RECORD_ROUTE] = H("Record-Route", 0),
    [SIPHON_HDR_REFER_TO] = H("Refer-To", 'r'),
    [SIPHON_HDR_REFERRED_BY] = H("Referred-By", 'b'),
    [SIPHON_HDR_REJECT_CONTACT] = H("Reject-Contact", 'j'),
    [SIPHON_HDR_REPLACES] = H("Replaces", 0),
    [SIPHON_HDR_REPLY_TO] = H("Reply-To", 0),
    [SIPHON_HDR_REQUEST_DISPOSITION] = H("Request-Disposition", 'd'),
    [SIPHON_HDR_REQUIRE] = H("Require", 0),
    [SIPHON_HDR_RETRY_AFTER] = H("Retry-After", 0),
    [SIPHON_HDR_ROUTE] = H("Route", 0),
    [SIPHON_HDR_RSEQ] = H("RSeq", 0),
    [SIPHON_HDR_SERVER] = H("Server", 0),
    [SIPHON_HDR_SERVICE_ROUTE] = H("Service-Route", 0),
    [SIPHON_HDR_SESSION_EXPIRES] = H("Session-Expires", 'x'),
    [SIPHON_HDR_SUBJECT] = H("Subject", 's'),
    [SIPHON_HDR_SUBSCRIPTION_STATE] = H("Subscription-State", 0),
    [SIPHON_HDR_SUPPORTED] = H("Supported", 'k'),
    [SIPHON_HDR_TIMESTAMP] = H("Timestamp", 0),
    [SIPHON_HDR_TO] = H("To", 't'),
    [SIPHON_HDR_UNSUPPORTED] = H("Unsupported", 0),
    [SIPHON_HDR_USER_AGENT] = H("User-Agent", 0),
    [SIPHON_HDR_VIA] = H("Via", 'v'),
    [SIPHON_HDR_WARNING] = H("Warning", 0),
    [SIPHON_HDR_WWW_AUTHENTICATE] = H("WWW-Authenticate", 0),
};
#undef H

/* Compact forms indexed by lower-case letter. */
static const unsigned char compact_ids[26] = {
    ['a' - 'a'] = SIPHON_HDR_ACCEPT_CONTACT,
    ['b' - 'a'] = SIPHON_HDR_REFERRED_BY,
    ['c' - 'a'] = SIPHON_HDR_CONTENT_TYPE,
    ['d' - 'a'] = SIPHON_HDR_REQUEST_DISPOSITION,
    ['e' - 'a'] = SIPHON_HDR_CONTENT_ENCODING,
    ['f' - 'a'] = SIPHON_HDR_FROM,
    ['i' - 'a'] = SIPHON_HDR_CALL_ID,
    ['j' - 'a'] = SIPHON_HDR_REJECT_CONTACT,
    ['k' - 'a'] = SIPHON_HDR_SUPPORTED,
    ['l' - 'a'] = SIPHON_HDR_CONTENT_LENGTH,
    ['m' - 'a'] = SIPHON_HDR_CONTACT,
    ['o' - 'a'] = SIPHON_HDR_EVENT,
    ['r' - 'a'] = SIPHON_HDR_REFER_TO,
    ['s' - 'a'] = SIPHON_HDR_SUBJECT,
    ['t' - 'a'] = SIPHON_HDR_TO,
    ['u' - 'a'] = SIPHON_HDR_ALLOW_EVENTS,
    ['v' - 'a'] = SIPHON_HDR_VIA,
    ['x' - 'a'] = SIPHON_HDR_SESSION_EXPIRES,
    ['y' - 'a'] = SIPHON_HDR_IDENTITY,
};

/*
 * Candidates by lower-cased first letter, built from hdr_table on first
 * use would need a lock; instead a fixed bucket list is kept here. Order
 * within a bucket puts the most frequent names first.
 */
static const unsigned char bucket_a[] = {SIPHON_HDR_ALLOW, SIPHON_HDR_ACCEPT, SIPHON_HDR_AUTHORIZATION,
    SIPHON_HDR_ALLOW_EVENTS, SIPHON_HDR_ACCEPT_CONTACT, SIPHON_HDR_ACCEPT_ENCODING,
    SIPHON_HDR_ACCEPT_LANGUAGE, SIPHON_HDR_ALERT_INFO, SIPHON_HDR_AUTHENTICATION_INFO, 0};
static const unsigned char bucket_c[] = {SIPHON_HDR_CALL_ID, SIPHON_HDR_CSEQ, SIPHON_HDR_CONTACT,
    SIPHON_HDR_CONTENT_LENGTH, SIPHON_HDR_CONTENT_TYPE, SIPHON_HDR_CALL_INFO,
    SIPHON_HDR_CONTENT_DISPOSITION, SIPHON_HDR_CONTENT_ENCODING, SIPHON_HDR_CONTENT_LANGUAGE, 0};
static const unsigned char bucket_d[] = {SIPHON_HDR_DATE, 0};
static const unsigned char bucket_e[] = {SIPHON_HDR_EXPIRES, SIPHON_HDR_EVENT, SIPHON_HDR_ERROR_INFO, 0};
static const unsigned char bucket_f[] = {SIPHON_HDR_FROM, 0};
static const unsigned char bucket_i[] = {SIPHON_HDR_IDENTITY, SIPHON_HDR_IN_REPLY_TO, 0};
static const unsigned char bucket_m[] = {SIPHON_HDR_MAX_FORWARDS, SIPHON_HDR_MIN_EXPIRES,
    SIPHON_HDR_MIN_SE, SIPHON_HDR_MIME_VERSION, 0};
static const unsigned char bucket_o[] = {SIPHON_HDR_ORGANIZATION, 0};
static const unsigned char bucket_p[] = {SIPHON_HDR_PROXY_AUTHORIZATION, SIPHON_HDR_PROXY_AUTHENTICATE,
    SIPHON_HDR_PATH, SIPHON_HDR_PROXY_REQUIRE, SIPHON_HDR_P_ASSERTED_IDENTITY, SIPHON_HDR_PRIORITY, 0};
static const unsigned char bucket_r[] = {SIPHON_HDR_ROUTE, SIPHON_HDR_RECORD_ROUTE, SIPHON_HDR_REQUIRE,
    SIPHON_HDR_RSEQ, SIPHON_HDR_RACK, SIPHON_HDR_REASON, SIPHON_HDR_REFER_TO, SIPHON_HDR_REFERRED_BY,
    SIPHON_HDR_REPLACES, SIPHON_HDR_RETRY_AFTER, SIPHON_HDR_REPLY_TO, SIPHON_HDR_REJECT_CONTACT,
    SIPHON_HDR_REQUEST_DISPOSITION, 0};
static const unsigned char bucket_s[] = {SIPHON_HDR_SUPPORTED, SIPHON_HDR_SUBSCRIPTION_STATE,
    SIPHON_HDR_SERVER, SIPHON_HDR_SESSION_EXPIRES, SIPHON_HDR_SERVICE_ROUTE, SIPHON_HDR_SUBJECT, 0};
static const unsigned char bucket_t[] = {SIPHON_HDR_TO, SIPHON_HDR_TIMESTAMP, 0};
static const unsigned char bucket_u[] = {SIPHON_HDR_USER_AGENT, SIPHON_HDR_UNSUPPORTED, 0};
static const unsigned char bucket_v[] = {SIPHON_HDR_VIA, 0};
static const unsigned char bucket_w[] = {SIPHON_HDR_WWW_AUTHENTICATE, SIPHON_HDR_WARNING, 0};

static const unsigned char *const buckets[26] = {
    ['a' - 'a'] = bucket_a, ['c' - 'a'] = bucket_c, ['d' - 'a'] = bucket_d,
    ['e' - 'a'] = bucket_e, ['f' - 'a'] = bucket_f, ['i' - 'a'] = bucket_i,
    ['m' - 'a'] = bucket_m, ['o' - 'a'] = bucket_o, ['p' - 'a'] = bucket_p,
    ['r' - 'a'] = bucket_r, ['s' - 'a'] = bucket_s, ['t' - 'a'] = bucket_t,
    ['u' - 'a'] = bucket_u, ['v' - 'a'] = bucket_v, ['w' - 'a'] = bucket_w,
};

static inline unsigned char lc(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

siphon_hdr_id siphon_hdr_lookup(const char *name, size_t len)
{
    if (len == 0)
        return SIPHON_HDR_OTHER;
    unsigned char c0 = lc((unsigned char)name[0]);
    if (c0 < 'a' || c0 > 'z')
        return SIPHON_HDR_OTHER;
    if (len == 1)
        return (siphon_hdr_id)compact_ids[c0 - 'a'];
    const unsigned char *b = buckets[c0 - 'a'];
    if (!b)
        return SIPHON_HDR_OTHER;
    for (; *b; b++) {
        const hdr_entry *e = &hdr_table[*b];
        if (e->len != len)
            continue;
        size_t i = 1;
        while (i < len && lc((unsigned char)name[i]) == lc((unsigned char)e->name[i]))
            i++;
        if (i == len)
            return (siphon_hdr_id)*b;
    }
    return SIPHON_HDR_OTHER;
}

const char *siphon_hdr_name(siphon_hdr_id id)
{
    if ((unsigned)id >= SIPHON_HDR__COUNT)
        return NULL;
    return hdr_table[id].name;
}

char siphon_hdr_compact(siphon_hdr_id id)
{
    if ((unsigned)id >= SIPHON_HDR__COUNT)
        return 0;
    return hdr_table[id].compact;
}

static const char *const method_names[] = {
    [SIPHON_METHOD_OTHER] = NULL,
    [SIPHON_METHOD_INVITE] = "INVITE",
    [SIPHON_METHOD_ACK] = "ACK",
    [SIPHON_METHOD_BYE] = "BYE",
    [SIPHON_METHOD_CANCEL] = "CANCEL",
    [SIPHON_METHOD_OPTIONS] = "OPTIONS",
    [SIPHON_METHOD_REGISTER] = "REGISTER",
    [SIPHON_METHOD_PRACK] = "PRACK",
    [SIPHON_METHOD_SUBSCRIBE] = "SUBSCRIBE",
    [SIPHON_METHOD_NOTIFY] = "NOTIFY",
    [SIPHON_METHOD_PUBLISH] = "PUBLISH",
    [SIPHON_METHOD_INFO] = "INFO",
    [SIPHON_METHOD_REFER] = "REFER",
    [SIPHON_METHOD_MESSAGE] = "MESSAGE",
    [SIPHON_METHOD_UPDATE] = "UPDATE",
};

siphon_method siphon_method_lookup(const char *p, size_t len)
{
    if (len == 0)
        return SIPHON_METHOD_OTHER;
    for (size_t i = 1; i < sizeof method_names / sizeof method_names[0]; i++) {
        const char *n = method_names[i];
        if (n[0] == p[0] && strlen(n) == len && memcmp(n, p, len) == 0)
            return (siphon_method)i;
    }
    return SIPHON_METHOD_OTHER;
}

const char *siphon_method_name(siphon_method m)
{
    if ((unsigned)m >= sizeof method_names / sizeof method_names[0])
        return NULL;
    return method_names[m];
}
