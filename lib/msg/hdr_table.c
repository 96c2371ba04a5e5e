/*
 * hdr_table.c -- header names, compact forms and method names.
 *
 * RFC 3261 §7.3.1 (names are case-insensitive), §7.3.3 and §20 (compact
 * forms), RFC 3265 (o, u), RFC 3515 (r), RFC 3892 (b), RFC 4028 (x),
 * RFC 3841 (a, j, d), RFC 8224 (y). Methods are case-sensitive (§7.1).
 */
#include "msg_internal.h"

#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "siphon_hdr_lookup assumes a little-endian machine"
#endif

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

static inline unsigned char lc(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/*
 * Full names are found through a small hash of (length, first and last
 * letter), which separates the known names well; each slot holds up to
 * four candidates, checked case-insensitively. The table is built once at
 * load time from hdr_table, so there is no second list to keep in step.
 */
#define HASH_SLOTS 256
#define SLOT_WAYS 4
static unsigned char name_hash[HASH_SLOTS][SLOT_WAYS];
/* Lower-case names, zero-padded to whole 8-byte words. */
static uint64_t lower_names[SIPHON_HDR__COUNT][3];
/* The parser's fast path (msg_internal.h). */
uint8_t siphon_hdr_fast_[HDR_FAST_SLOTS];
uint64_t siphon_hdr_words_[SIPHON_HDR__COUNT][3];
uint8_t siphon_hdr_len_[SIPHON_HDR__COUNT];
const uint8_t *const siphon_hdr_compact_ids_ = compact_ids;

static inline unsigned hash_name(unsigned len, unsigned char first, unsigned char last)
{
    return (len * 29u + first * 7u + last * 3u) & (HASH_SLOTS - 1);
}

__attribute__((constructor)) static void build_name_hash(void)
{
    for (int id = 1; id < SIPHON_HDR__COUNT; id++) {
        const hdr_entry *e = &hdr_table[id];
        char *ln = (char *)lower_names[id];
        for (unsigned i = 0; i < e->len; i++)
            ln[i] = (char)lc((unsigned char)e->name[i]);
        unsigned h = hash_name(e->len, lc((unsigned char)e->name[0]),
                               lc((unsigned char)e->name[e->len - 1]));
        int w = 0;
        while (w < SLOT_WAYS && name_hash[h][w])
            w++;
        /* a full slot would silently drop a header: the unit test that
         * looks every name up catches it */
        if (w < SLOT_WAYS)
            name_hash[h][w] = (unsigned char)id;
        memcpy(siphon_hdr_words_[id], lower_names[id], sizeof lower_names[id]);
        siphon_hdr_len_[id] = e->len;
        unsigned s = hdr_fast_slot(lower_names[id][0], e->len);
        while (siphon_hdr_fast_[s])
            s = (s + 1) & (HDR_FAST_SLOTS - 1);
        siphon_hdr_fast_[s] = (uint8_t)id;
    }
}

/*
 * padded: the caller guarantees 8 readable bytes from every word start
 * below len (the parser pads its copy of the message), and that the name is
 * a token, so it holds no CR.
 */
static siphon_hdr_id lookup(const char *name, size_t len, bool padded)
{
    if (len == 0 || len > 24)
        return SIPHON_HDR_OTHER;
    unsigned char c0 = lc((unsigned char)name[0]);
    if (len == 1)
        return (c0 >= 'a' && c0 <= 'z') ? (siphon_hdr_id)compact_ids[c0 - 'a']
                                        : SIPHON_HDR_OTHER;
    const unsigned char *slot =
        name_hash[hash_name((unsigned)len, c0, lc((unsigned char)name[len - 1]))];
    for (int w = 0; w < SLOT_WAYS && slot[w]; w++) {
        if (hdr_table[slot[w]].len != len)
            continue;
        /* Known names are letters and '-'. OR-ing 0x20 lower-cases letters
         * and leaves '-' alone; the only other byte that ORs to one of
         * them is CR (to '-'), checked after a match. Words are read
         * little-endian (the mask keeps the low bytes). */
        const uint64_t *ln = lower_names[slot[w]];
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            uint64_t v;
            memcpy(&v, name + i, 8);
            if ((v | 0x2020202020202020ull) != ln[i / 8])
                goto next;
        }
        if (i < len) {
            uint64_t v = 0;
            if (padded)
                memcpy(&v, name + i, 8);
            else
                memcpy(&v, name + i, len - i);
            uint64_t mask = ~0ull >> (8 * (8 - (len - i)));
            if (((v | 0x2020202020202020ull) & mask) != ln[i / 8])
                goto next;
        }
        if (!padded && memchr(name, '\r', len))
            return SIPHON_HDR_OTHER;
        return (siphon_hdr_id)slot[w];
    next:;
    }
    return SIPHON_HDR_OTHER;
}

siphon_hdr_id siphon_hdr_lookup(const char *name, size_t len)
{
    return lookup(name, len, false);
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
    /* exact, case-sensitive match (RFC 3261 §7.1); dispatch on length and
     * first letter so that a lookup is one memcmp */
    siphon_method cand = SIPHON_METHOD_OTHER;
    switch (len) {
    case 3:
        cand = p[0] == 'A' ? SIPHON_METHOD_ACK : p[0] == 'B' ? SIPHON_METHOD_BYE
                                                             : SIPHON_METHOD_OTHER;
        break;
    case 4:
        cand = SIPHON_METHOD_INFO;
        break;
    case 5:
        cand = p[0] == 'P' ? SIPHON_METHOD_PRACK : p[0] == 'R' ? SIPHON_METHOD_REFER
                                                               : SIPHON_METHOD_OTHER;
        break;
    case 6:
        cand = p[0] == 'I' ? SIPHON_METHOD_INVITE
               : p[0] == 'C' ? SIPHON_METHOD_CANCEL
               : p[0] == 'N' ? SIPHON_METHOD_NOTIFY
               : p[0] == 'U' ? SIPHON_METHOD_UPDATE
                             : SIPHON_METHOD_OTHER;
        break;
    case 7:
        cand = p[0] == 'O' ? SIPHON_METHOD_OPTIONS
               : p[0] == 'P' ? SIPHON_METHOD_PUBLISH
               : p[0] == 'M' ? SIPHON_METHOD_MESSAGE
                             : SIPHON_METHOD_OTHER;
        break;
    case 8:
        cand = SIPHON_METHOD_REGISTER;
        break;
    case 9:
        cand = SIPHON_METHOD_SUBSCRIBE;
        break;
    default:
        break;
    }
    if (cand != SIPHON_METHOD_OTHER && memcmp(p, method_names[cand], len) == 0)
        return cand;
    return SIPHON_METHOD_OTHER;
}

const char *siphon_method_name(siphon_method m)
{
    if ((unsigned)m >= sizeof method_names / sizeof method_names[0])
        return NULL;
    return method_names[m];
}
