/*
 * msg_internal.h -- the layout of siphon_msg and helpers shared by the
 * files of lib/msg. Not installed.
 */
#ifndef SIPHON_MSG_INTERNAL_H
#define SIPHON_MSG_INTERNAL_H

#include <siphon/msg.h>

#include <stddef.h>
#include <string.h>

/* Bytes of arena storage kept inline in every message, so that parsing a
 * typical message needs one malloc. */
#define MSG_INLINE_ARENA 3072
/* Header fields indexed without touching the arena. */
#define MSG_INLINE_HDRS 32

enum { TYPED_UNPARSED = 0, TYPED_OK = 1, TYPED_ERROR = 2, TYPED_ABSENT = 3 };

struct siphon_msg {
    /* -- zeroed when parsing starts -- */
    int refs;
    bool is_request;
    uint8_t ruri_state;
    uint8_t parts_state;
    uint8_t top_via_state;     /* siphon_msg_via(): the first value alone */
    uint8_t top_contact_state; /* siphon_msg_contact() */
    bool pooled;               /* the block came from the per-thread pool */
    siphon_method method_id;
    int status;
    const char *bytes;        /* owned copy of the message (trailer excluded) */
    size_t len;
    siphon_str method;
    siphon_str ruri;          /* Request-URI, normalised if the parser had to
                                 tolerate <> or LWS around or inside it */
    siphon_str ruri_wire;     /* the Request-URI text exactly as on the line */
    siphon_str version;
    siphon_str reason;
    siphon_str start_line;    /* whole first line, terminator excluded */
    siphon_hdr *hdrs;
    size_t nhdrs;
    siphon_str body;
    size_t trailing;          /* datagram bytes ignored after the body */
    siphon_finding *findings;
    siphon_finding *findings_tail;
    const siphon_part *parts;
    const siphon_via *top_via;
    const siphon_nameaddr *top_contact;
    uint16_t first[SIPHON_HDR__COUNT]; /* 1 + index of first field, 0 none */
    uint16_t last[SIPHON_HDR__COUNT];  /* 1 + index of last field, 0 none */
    uint8_t typed_state[SIPHON_HDR__COUNT];
    /* -- not zeroed: each is valid only once its state says so -- */
    siphon_parse_opts opts;
    const void *typed[SIPHON_HDR__COUNT]; /* by typed_state */
    siphon_uri ruri_parsed;   /* ruri_state == TYPED_OK */
    siphon_perr ruri_err;     /* ruri_state == TYPED_ERROR */
    siphon_arena arena;
    siphon_hdr hdrs_inline[MSG_INLINE_HDRS];
    double arena_inline[MSG_INLINE_ARENA / sizeof(double)];
};
/* Fields before this one are zeroed by the parser. */
/* Message bytes that fit in a pooled block (most SIP messages). */
#define MSG_POOL_BYTES 2048
#define MSG_ZEROED_PART offsetof(siphon_msg, opts)

/*
 * Record a finding on m. Returns true when the caller must treat it as an
 * error (strict mode and a TOLERATED finding). Allocation failure drops the
 * finding silently (findings are advisory).
 */
bool msg_finding(siphon_msg *m, siphon_finding_level level, const char *rule,
                 const char *rfc, const char *header, size_t offset,
                 const char *text);

/* Fill a parse error. */
void msg_perr(siphon_perr *err, size_t offset, const char *header,
              const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Copy a header value with folding (CRLF/LF followed by WSP) collapsed to a
 * single SP, as the printer and comparisons need. Returns the length
 * written to out (out must hold v.len bytes). */
size_t msg_unfold(siphon_str v, char *out);

/* Bytes of slack after a message copy, so word-wise scans may over-read. */
#define MSG_PAD 8
#define HDR_MAX_LEN 24 /* longest known header name */
#define HDR_BY_LEN 12  /* most known names of one length */
extern uint64_t siphon_hdr_words_[HDR_MAX_LEN + 1][HDR_BY_LEN][3];
extern uint8_t siphon_hdr_by_len_[HDR_MAX_LEN + 1][HDR_BY_LEN];
extern const uint8_t *const siphon_hdr_compact_ids_;

/*
 * siphon_hdr_lookup for a token inside a padded message copy (MSG_PAD
 * bytes of slack, so whole words may be read). Known names are letters and
 * '-': OR-ing 0x20 lower-cases the letters and leaves '-' alone, and a
 * token holds no byte that ORs to either otherwise (only CR does, to '-').
 */
static inline siphon_hdr_id msg_hdr_lookup_padded(const char *name, size_t len)
{
    if (len > HDR_MAX_LEN)
        return SIPHON_HDR_OTHER;
    if (len == 1) {
        unsigned c = (unsigned char)name[0] | 0x20u;
        return c >= 'a' && c <= 'z' ? (siphon_hdr_id)siphon_hdr_compact_ids_[c - 'a']
                                    : SIPHON_HDR_OTHER;
    }
    uint64_t w[3] = {0, 0, 0};
    size_t words = (len + 7) / 8;
    for (size_t i = 0; i < words; i++) {
        memcpy(&w[i], name + 8 * i, 8);
        w[i] |= 0x2020202020202020ull;
    }
    size_t tail = len % 8;
    if (tail)
        w[words - 1] &= ~0ull >> (8 * (8 - tail));
    const uint8_t *ids = siphon_hdr_by_len_[len];
    for (int k = 0; k < HDR_BY_LEN && ids[k]; k++) {
        const uint64_t *c = siphon_hdr_words_[len][k];
        if (c[0] == w[0] && c[1] == w[1] && c[2] == w[2])
            return (siphon_hdr_id)ids[k];
    }
    return SIPHON_HDR_OTHER;
}

/* host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1): returns
 * the end of the host at p, or NULL, and its type. (uri.c) */
const char *siphon_scan_host_(const char *p, const char *end,
                              siphon_host_type *type);

#endif
