/*
 * msg_internal.h -- the layout of siphon_msg and helpers shared by the
 * files of lib/msg. Not installed.
 */
#ifndef SIPHON_MSG_INTERNAL_H
#define SIPHON_MSG_INTERNAL_H

#include <siphon/msg.h>

/* Bytes of arena storage kept inline in every message, so that parsing a
 * typical message needs one malloc. */
#define MSG_INLINE_ARENA 2048

enum { TYPED_UNPARSED = 0, TYPED_OK = 1, TYPED_ERROR = 2, TYPED_ABSENT = 3 };

struct siphon_msg {
    int refs;
    siphon_parse_opts opts;
    const char *bytes;        /* owned copy of the message (trailer excluded) */
    size_t len;
    bool is_request;
    siphon_method method_id;
    int status;
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
    uint16_t first[SIPHON_HDR__COUNT]; /* 1 + index of first field, 0 none */
    uint8_t typed_state[SIPHON_HDR__COUNT];
    const void *typed[SIPHON_HDR__COUNT];
    siphon_perr typed_err;    /* error of the last typed parse that failed */
    uint8_t ruri_state;
    siphon_uri ruri_parsed;
    siphon_perr ruri_err;
    uint8_t parts_state;
    const siphon_part *parts;
    siphon_arena arena;
    double arena_inline[MSG_INLINE_ARENA / sizeof(double)];
};

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

/* host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1): returns
 * the end of the host at p, or NULL, and its type. (uri.c) */
const char *siphon_scan_host_(const char *p, const char *end,
                              siphon_host_type *type);

#endif
