/*
 * msg_internal.h -- the layout of siphon_msg and helpers shared by the
 * files of lib/msg. Not installed.
 */
#ifndef SIPHON_MSG_INTERNAL_H
#define SIPHON_MSG_INTERNAL_H

#include <siphon/msg.h>

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__) && !defined(SIPHON_NO_SIMD)
#include <emmintrin.h>
#endif

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
#define MSG_PAD 16
#define HDR_MAX_LEN 24 /* longest known header name */
#define HDR_FAST_SLOTS 256
/* Open-addressed table of known ids keyed by the first 8 lower-cased
 * bytes and the length; siphon_hdr_words_ holds each name's words. */
extern uint8_t siphon_hdr_fast_[HDR_FAST_SLOTS];
extern uint64_t siphon_hdr_words_[SIPHON_HDR__COUNT][3];
extern uint8_t siphon_hdr_len_[SIPHON_HDR__COUNT];
extern const uint8_t *const siphon_hdr_compact_ids_;

static inline unsigned hdr_fast_slot(uint64_t w0, size_t len)
{
    return (unsigned)(((w0 ^ len) * 0x9E3779B97F4A7C15ull) >> 56);
}

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
    uint64_t w0;
    memcpy(&w0, name, 8);
    w0 |= 0x2020202020202020ull;
    if (len < 8)
        w0 &= ~0ull >> (8 * (8 - len));
    for (unsigned s = hdr_fast_slot(w0, len);; s = (s + 1) & (HDR_FAST_SLOTS - 1)) {
        unsigned id = siphon_hdr_fast_[s];
        if (!id)
            return SIPHON_HDR_OTHER;
        const uint64_t *c = siphon_hdr_words_[id];
        if (siphon_hdr_len_[id] != len || c[0] != w0)
            continue;
        size_t i = 8;
        for (; i < len; i += 8) {
            uint64_t w;
            memcpy(&w, name + i, 8);
            w |= 0x2020202020202020ull;
            if (len - i < 8)
                w &= ~0ull >> (8 * (8 - (len - i)));
            if (c[i / 8] != w)
                break;
        }
        if (i >= len)
            return (siphon_hdr_id)id;
    }
}

/*
 * The first LF in [q, end), or NULL. Only for pointers into a message's
 * own copy of its bytes: that copy is padded by MSG_PAD, so a 16-byte load
 * that starts before its end stays inside it. Lines and values are short,
 * so an inline scan beats a memchr call. memchr where SSE2 is missing.
 */
static inline const char *padded_find_lf(const char *q, const char *end)
{
#if defined(__SSE2__) && !defined(SIPHON_NO_SIMD)
    const __m128i lf = _mm_set1_epi8('\n');
    for (; q < end; q += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        unsigned mk = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
        if (mk) {
            const char *r = q + __builtin_ctz(mk);
            return r < end ? r : NULL;
        }
    }
    return NULL;
#else
    return q < end ? memchr(q, '\n', (size_t)(end - q)) : NULL;
#endif
}

/* The first a or b in [q, end), or NULL; the same precondition. */
static inline const char *padded_find2(const char *q, const char *end, char a, char b)
{
#if defined(__SSE2__) && !defined(SIPHON_NO_SIMD)
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    for (; q < end; q += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        unsigned mk = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
        if (mk) {
            const char *r = q + __builtin_ctz(mk);
            return r < end ? r : NULL;
        }
    }
    return NULL;
#else
    for (; q < end; q++)
        if (*q == a || *q == b)
            return q;
    return NULL;
#endif
}

/* host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1): returns
 * the end of the host at p, or NULL, and its type. (uri.c) */
const char *siphon_scan_host_(const char *p, const char *end,
                              siphon_host_type *type);

#endif
