/*
 * siphon/msg.h -- SIP messages: framing, parsing, typed headers, findings,
 * verdicts, printing and building.
 *
 * RFC 3261 §7 (messages), §18.3 (framing), §20 (header fields), §25 (ABNF),
 * RFC 4475 (torture tests), RFC 5626 §4.4.1 (CRLF keep-alives).
 *
 * A siphon_msg owns a copy of its bytes and an arena. It is immutable once
 * parsed: every view it hands out (siphon_str) stays valid until the last
 * reference is dropped. The first pass indexes the start line and the header
 * fields; typed values are parsed on first access and cached. Changes go
 * through a builder (siphon_msgb), which yields a new message.
 */
#ifndef SIPHON_MSG_H
#define SIPHON_MSG_H

#include <siphon/base.h>
#include <siphon/uri.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- header identifiers ------------------------------------------------ */

typedef enum siphon_hdr_id {
    SIPHON_HDR_OTHER = 0, /* unknown: kept raw, round-trips */
    SIPHON_HDR_ACCEPT,
    SIPHON_HDR_ACCEPT_CONTACT,
    SIPHON_HDR_ACCEPT_ENCODING,
    SIPHON_HDR_ACCEPT_LANGUAGE,
    SIPHON_HDR_ALERT_INFO,
    SIPHON_HDR_ALLOW,
    SIPHON_HDR_ALLOW_EVENTS,
    SIPHON_HDR_AUTHENTICATION_INFO,
    SIPHON_HDR_AUTHORIZATION,
    SIPHON_HDR_CALL_ID,
    SIPHON_HDR_CALL_INFO,
    SIPHON_HDR_CONTACT,
    SIPHON_HDR_CONTENT_DISPOSITION,
    SIPHON_HDR_CONTENT_ENCODING,
    SIPHON_HDR_CONTENT_LANGUAGE,
    SIPHON_HDR_CONTENT_LENGTH,
    SIPHON_HDR_CONTENT_TYPE,
    SIPHON_HDR_CSEQ,
    SIPHON_HDR_DATE,
    SIPHON_HDR_ERROR_INFO,
    SIPHON_HDR_EVENT,
    SIPHON_HDR_EXPIRES,
    SIPHON_HDR_FROM,
    SIPHON_HDR_IDENTITY,
    SIPHON_HDR_IN_REPLY_TO,
    SIPHON_HDR_MAX_FORWARDS,
    SIPHON_HDR_MIME_VERSION,
    SIPHON_HDR_MIN_EXPIRES,
    SIPHON_HDR_MIN_SE,
    SIPHON_HDR_ORGANIZATION,
    SIPHON_HDR_P_ASSERTED_IDENTITY,
    SIPHON_HDR_PATH,
    SIPHON_HDR_PRIORITY,
    SIPHON_HDR_PROXY_AUTHENTICATE,
    SIPHON_HDR_PROXY_AUTHORIZATION,
    SIPHON_HDR_PROXY_REQUIRE,
    SIPHON_HDR_RACK,
    SIPHON_HDR_REASON,
    SIPHON_HDR_RECORD_ROUTE,
    SIPHON_HDR_REFER_TO,
    SIPHON_HDR_REFERRED_BY,
    SIPHON_HDR_REJECT_CONTACT,
    SIPHON_HDR_REPLACES,
    SIPHON_HDR_REPLY_TO,
    SIPHON_HDR_REQUEST_DISPOSITION,
    SIPHON_HDR_REQUIRE,
    SIPHON_HDR_RETRY_AFTER,
    SIPHON_HDR_ROUTE,
    SIPHON_HDR_RSEQ,
    SIPHON_HDR_SERVER,
    SIPHON_HDR_SERVICE_ROUTE,
    SIPHON_HDR_SESSION_EXPIRES,
    SIPHON_HDR_SUBJECT,
    SIPHON_HDR_SUBSCRIPTION_STATE,
    SIPHON_HDR_SUPPORTED,
    SIPHON_HDR_TIMESTAMP,
    SIPHON_HDR_TO,
    SIPHON_HDR_UNSUPPORTED,
    SIPHON_HDR_USER_AGENT,
    SIPHON_HDR_VIA,
    SIPHON_HDR_WARNING,
    SIPHON_HDR_WWW_AUTHENTICATE,
    SIPHON_HDR__COUNT
} siphon_hdr_id;

/* Look a header name up (full or compact form, any case). */
siphon_hdr_id siphon_hdr_lookup(const char *name, size_t len);
/* Canonical full name of a known header ("Call-ID"); NULL for OTHER. */
const char *siphon_hdr_name(siphon_hdr_id id);
/* Compact form letter, or 0 (RFC 3261 §7.3.3 and extensions). */
char siphon_hdr_compact(siphon_hdr_id id);

/* ---- methods ----------------------------------------------------------- */

typedef enum siphon_method {
    SIPHON_METHOD_OTHER = 0,
    SIPHON_METHOD_INVITE,
    SIPHON_METHOD_ACK,
    SIPHON_METHOD_BYE,
    SIPHON_METHOD_CANCEL,
    SIPHON_METHOD_OPTIONS,
    SIPHON_METHOD_REGISTER,
    SIPHON_METHOD_PRACK,
    SIPHON_METHOD_SUBSCRIBE,
    SIPHON_METHOD_NOTIFY,
    SIPHON_METHOD_PUBLISH,
    SIPHON_METHOD_INFO,
    SIPHON_METHOD_REFER,
    SIPHON_METHOD_MESSAGE,
    SIPHON_METHOD_UPDATE
} siphon_method;

/* Methods are case-sensitive (RFC 3261 §7.1): "invite" is OTHER. */
siphon_method siphon_method_lookup(const char *p, size_t len);
const char *siphon_method_name(siphon_method m); /* NULL for OTHER */

/* ---- limits and options ------------------------------------------------ */

typedef struct siphon_parse_opts {
    size_t max_msg_size;   /* whole message, headers plus body */
    size_t max_headers;    /* header fields */
    size_t max_line;       /* one start line or header field, unfolded */
    bool strict;           /* tolerated deviations become errors */
    bool stream;           /* reliable transport: Content-Length required */
} siphon_parse_opts;

/* Defaults: 4 MiB message, 256 headers, 32 KiB per field, lenient,
 * datagram. */
void siphon_parse_opts_default(siphon_parse_opts *o);

/* ---- findings ---------------------------------------------------------- */

typedef enum siphon_finding_level {
    SIPHON_FINDING_NOTE = 0,  /* allowed by the RFCs, worth knowing */
    SIPHON_FINDING_TOLERATED  /* a deviation the parser tolerated;
                                 strict mode refuses it */
} siphon_finding_level;

typedef struct siphon_finding {
    struct siphon_finding *next;
    siphon_finding_level level;
    const char *rule;    /* short stable identifier, e.g. "request-line-extra-sp" */
    const char *rfc;     /* clause, e.g. "RFC 3261 §25.1" */
    const char *header;  /* header name, or NULL for the start line/body */
    size_t offset;       /* byte offset in the message */
    const char *text;    /* one sentence for people */
} siphon_finding;

/* ---- typed header values ----------------------------------------------- */

typedef struct siphon_msg siphon_msg;

/* One Via value (RFC 3261 §20.42). */
typedef struct siphon_via {
    struct siphon_via *next;    /* next value, across all Via fields */
    siphon_str raw;
    siphon_str protocol;        /* "SIP" */
    siphon_str version;         /* "2.0" */
    siphon_str transport;       /* "UDP", "TCP", "TLS", "SCTP", "WS", … */
    siphon_str host;
    siphon_host_type host_type;
    uint16_t port;
    bool has_port;
    siphon_params params;
    siphon_str branch;          /* empty if absent */
    bool has_branch;
    siphon_str received;
    bool has_rport;             /* RFC 3581 */
    uint16_t rport;             /* 0 if rport has no value */
} siphon_via;

/*
 * name-addr / addr-spec with header parameters: From, To, Contact, Route,
 * Record-Route, Path, Service-Route, Refer-To, Referred-By, Reply-To,
 * P-Asserted-Identity (RFC 3261 §20.10, §20.20, §20.39).
 */
typedef struct siphon_nameaddr {
    struct siphon_nameaddr *next;
    siphon_str raw;
    siphon_str display;   /* as written, quotes included; empty if none */
    bool bracketed;       /* the URI was inside < > */
    bool star;            /* Contact: * (RFC 3261 §10.2.2) */
    siphon_str uri_text;  /* the URI as written (inside the < >); parse it
                             with siphon_nameaddr_uri() */
    siphon_params params; /* header parameters */
    siphon_str tag;
    bool has_tag;
    /* Contact only */
    uint32_t expires;
    bool has_expires;
    uint16_t q;           /* q-value in thousandths (0..1000) */
    bool has_q;
    /* private: the cache of siphon_nameaddr_uri() */
    uint8_t uri_state_;
    uint8_t hdr_id_;
    const void *uri_cache_;
} siphon_nameaddr;

/*
 * The URI of a name-addr value, parsed on first call and cached, like the
 * typed headers themselves (most code needs a From tag, not the From URI).
 * NULL for "Contact: *" (SIPHON_ENOENT) or when the URI does not parse
 * (err filled; offsets are in the message). m is the message na came from.
 * siphon_msg_parse_all() and the verdict parse every such URI.
 */
const siphon_uri *siphon_nameaddr_uri(siphon_msg *m, const siphon_nameaddr *na,
                                      siphon_perr *err);

typedef struct siphon_cseq {
    uint32_t num;
    siphon_str method;
    siphon_method method_id;
} siphon_cseq;

typedef struct siphon_rack {   /* RFC 3262 §7.2 */
    uint32_t rseq;
    uint32_t cseq;
    siphon_str method;
    siphon_method method_id;
} siphon_rack;

/*
 * A value with optional parameters, used by the many headers of that shape:
 * Call-ID, Max-Forwards, Content-Length, Expires, Min-Expires, RSeq, Min-SE,
 * Session-Expires, Event, Subscription-State, Allow-Events, Require,
 * Supported, Unsupported, Proxy-Require, Allow, Content-Type, Accept,
 * Replaces, Retry-After, Reason, Content-Disposition.
 */
typedef struct siphon_hval {
    struct siphon_hval *next;
    siphon_str raw;
    siphon_str value;     /* token, call-id, number; media type: the type */
    siphon_str subtype;   /* media types only: the part after '/' */
    siphon_params params;
    uint64_t num;         /* numeric headers, and Retry-After's delta */
    bool has_num;
    siphon_str comment;   /* Retry-After comment, without parentheses */
} siphon_hval;

/* WWW-Authenticate, Authorization, Proxy-*, Authentication-Info. */
typedef struct siphon_auth {
    struct siphon_auth *next;
    siphon_str raw;
    siphon_str scheme;    /* "Digest"; empty for Authentication-Info */
    siphon_params params; /* values as written (quoted strings keep quotes) */
} siphon_auth;

typedef struct siphon_warning {  /* RFC 3261 §20.43 */
    struct siphon_warning *next;
    siphon_str raw;
    uint16_t code;
    siphon_str agent;
    siphon_str text;              /* quoted-string, quotes included */
} siphon_warning;

typedef struct siphon_date {     /* RFC 3261 §20.17, RFC 1123 date */
    siphon_str raw;
    int64_t epoch;                /* seconds since 1970, UTC */
    bool gmt;                     /* zone was "GMT" as required */
} siphon_date;

typedef struct siphon_timestamp {  /* RFC 3261 §20.38 */
    siphon_str value;
    siphon_str delay;               /* empty if absent */
} siphon_timestamp;

typedef struct siphon_product {    /* User-Agent, Server (§20.41, §20.35) */
    struct siphon_product *next;
    siphon_str text;                /* product "name/version" or comment */
    bool comment;                   /* text is a (comment), parens stripped */
} siphon_product;

/* ---- the message ------------------------------------------------------- */

/* One header field as received. */
typedef struct siphon_hdr {
    siphon_hdr_id id;
    siphon_str name;   /* as written ("v", "MaX-fOrWaRdS") */
    siphon_str value;  /* trimmed; may contain folding CRLF+WSP */
    siphon_str line;   /* the whole field, line terminator(s) included */
    uint16_t next;     /* known ids: 1 + index of the next field with the
                          same id, 0 for the last; always 0 for OTHER */
} siphon_hdr;

/*
 * Parse one message from len bytes. The bytes are copied; the caller keeps
 * its buffer. With opts->stream false (a datagram), bytes past
 * Content-Length are ignored with a finding (RFC 3261 §18.3) and a missing
 * Content-Length means "the rest of the datagram". opts may be NULL for
 * the defaults. On success *out holds one reference. On failure returns a
 * negative code (SIPHON_EPARSE, SIPHON_EVERSION, SIPHON_ETOOBIG,
 * SIPHON_EDUP, SIPHON_ENOMEM) and fills err when not NULL.
 */
int siphon_msg_parse(const char *buf, size_t len, const siphon_parse_opts *opts,
                     siphon_msg **out, siphon_perr *err);

siphon_msg *siphon_msg_ref(siphon_msg *m);
/* Drop a reference; frees the message at zero. NULL is allowed. */
void siphon_msg_unref(siphon_msg *m);

bool siphon_msg_is_request(const siphon_msg *m);
siphon_method siphon_msg_method_id(const siphon_msg *m);
siphon_str siphon_msg_method(const siphon_msg *m);     /* requests */
siphon_str siphon_msg_ruri_str(const siphon_msg *m);   /* requests */
/* The parsed Request-URI, or NULL (with *err filled) when it is not one. */
const siphon_uri *siphon_msg_ruri(siphon_msg *m, siphon_perr *err);
siphon_str siphon_msg_version(const siphon_msg *m);
int siphon_msg_status(const siphon_msg *m);            /* responses */
siphon_str siphon_msg_reason(const siphon_msg *m);     /* responses */
siphon_str siphon_msg_body(const siphon_msg *m);
/* The message bytes as parsed (trailing ignored bytes excluded). */
siphon_str siphon_msg_bytes(const siphon_msg *m);
const siphon_parse_opts *siphon_msg_opts(const siphon_msg *m);

/* The start line without its line terminator. */
siphon_str siphon_msg_start_line(const siphon_msg *m);
size_t siphon_msg_hdr_count(const siphon_msg *m);
const siphon_hdr *siphon_msg_hdr_at(const siphon_msg *m, size_t i);
/* Index of the next field with this id at or after index from, or -1. */
long siphon_msg_hdr_next(const siphon_msg *m, siphon_hdr_id id, size_t from);
/* Same, by name (compact forms and case folded for known headers). */
long siphon_msg_hdr_next_name(const siphon_msg *m, const char *name,
                              size_t len, size_t from);

/* Which struct siphon_msg_typed() gives for a header id. */
typedef enum siphon_value_type {
    SIPHON_VALUE_NONE = 0, /* no typed form: use the raw value */
    SIPHON_VALUE_VIA,
    SIPHON_VALUE_NAMEADDR,
    SIPHON_VALUE_CSEQ,
    SIPHON_VALUE_RACK,
    SIPHON_VALUE_HVAL,
    SIPHON_VALUE_AUTH,
    SIPHON_VALUE_WARNING,
    SIPHON_VALUE_DATE,
    SIPHON_VALUE_TIMESTAMP,
    SIPHON_VALUE_PRODUCT
} siphon_value_type;

siphon_value_type siphon_hdr_value_type(siphon_hdr_id id);

/*
 * Typed access. Parses every field with this id on first use and caches
 * the result. *out receives the first value (a siphon_via, siphon_nameaddr,
 * siphon_cseq, siphon_rack, siphon_hval, siphon_auth, siphon_warning,
 * siphon_date, siphon_timestamp or siphon_product, depending on id; lists
 * chain through next). Returns 0, SIPHON_ENOENT (no such field),
 * SIPHON_EPARSE (with err filled) or SIPHON_EINVAL (id has no typed form).
 */
int siphon_msg_typed(siphon_msg *m, siphon_hdr_id id, const void **out,
                     siphon_perr *err);

/*
 * Convenience wrappers: NULL when absent or malformed. siphon_msg_via()
 * and siphon_msg_contact() give the first value only (the top Via, the
 * first Contact), parsed alone, with next == NULL: walk every value with
 * siphon_msg_typed().
 */
const siphon_via *siphon_msg_via(siphon_msg *m);
const siphon_nameaddr *siphon_msg_from(siphon_msg *m);
const siphon_nameaddr *siphon_msg_to(siphon_msg *m);
const siphon_nameaddr *siphon_msg_contact(siphon_msg *m);
const siphon_cseq *siphon_msg_cseq(siphon_msg *m);
siphon_str siphon_msg_call_id(siphon_msg *m);

/* Findings recorded so far (typed access may add more), oldest first. */
const siphon_finding *siphon_msg_findings(const siphon_msg *m);
/* Parse every typed header so that all findings are known. Returns the
 * first typed-parse error (or 0) and fills err. */
int siphon_msg_parse_all(siphon_msg *m, siphon_perr *err);

/* ---- bodies ------------------------------------------------------------ */

typedef struct siphon_part {       /* RFC 2046 §5.1 body part */
    struct siphon_part *next;
    siphon_hdr *hdrs;
    size_t nhdrs;
    siphon_str content_type;       /* raw value; empty if absent */
    siphon_str body;
} siphon_part;

/*
 * Split a multipart body into its parts (RFC 2046 §5.1.1). Returns
 * SIPHON_ENOENT when the body is not multipart, SIPHON_EPARSE when the
 * boundary is missing or never found.
 */
int siphon_msg_parts(siphon_msg *m, const siphon_part **first,
                     siphon_perr *err);

/* ---- verdict ----------------------------------------------------------- */

typedef enum siphon_verdict_kind {
    SIPHON_VERDICT_ACCEPT = 0,
    SIPHON_VERDICT_REJECT,   /* answer with status (400, 505, …) */
    SIPHON_VERDICT_DROP      /* discard silently (responses, unreadable) */
} siphon_verdict_kind;

typedef struct siphon_verdict {
    siphon_verdict_kind kind;
    int status;              /* for REJECT: the status to send */
    char reason[128];        /* reason phrase naming the fault */
    siphon_perr where;       /* offset, header, rule of the fault */
} siphon_verdict;

/*
 * The verdict a receiving element acts on (RFC 3261 §8.2, §16.3, §18.3 and
 * RFC 4475). Parses every typed header. Strict mode (from the parse
 * options) rejects any tolerated deviation.
 */
void siphon_msg_verdict(siphon_msg *m, siphon_verdict *v);

/*
 * Parse and judge raw bytes in one go. When out is not NULL and the bytes
 * parsed, *out receives the message (one reference), else NULL.
 */
void siphon_verdict_bytes(const char *buf, size_t len,
                          const siphon_parse_opts *opts, siphon_verdict *v,
                          siphon_msg **out);

const char *siphon_verdict_name(siphon_verdict_kind k); /* accept|reject|drop */

/* ---- stream framing ---------------------------------------------------- */

typedef enum siphon_frame_kind {
    SIPHON_FRAME_NEED_MORE = 0, /* incomplete: keep the bytes, read more */
    SIPHON_FRAME_MESSAGE,       /* a whole message of frame_len bytes */
    SIPHON_FRAME_PING,          /* RFC 5626 CRLFCRLF keep-alive (4 bytes) */
    SIPHON_FRAME_PONG           /* RFC 5626 CRLF keep-alive answer (2 bytes;
                                   1 for a stray LF before a start line) */
} siphon_frame_kind;

/* Scan state so that repeated calls on a growing buffer do not rescan. */
typedef struct siphon_framer {
    size_t scanned;    /* bytes already searched for the header end */
    size_t hdr_end;    /* offset just past the blank line, 0 if unknown */
    size_t body_len;   /* Content-Length once hdr_end is known */
} siphon_framer;

void siphon_framer_init(siphon_framer *f);

/*
 * Find the next frame at the start of buf (RFC 3261 §18.3: on streams the
 * header Content-Length frames the body and is mandatory). Returns a
 * siphon_frame_kind (>= 0) and sets *frame_len to the bytes it spans, or a
 * negative error (the connection should be closed): SIPHON_EPARSE (missing
 * or bad Content-Length), SIPHON_ETOOBIG (a limit was exceeded). After a
 * frame is consumed, re-initialise the framer.
 */
int siphon_frame_stream(siphon_framer *f, const char *buf, size_t len,
                        const siphon_parse_opts *opts, size_t *frame_len,
                        siphon_perr *err);

/* ---- printing ---------------------------------------------------------- */

typedef enum siphon_print_mode {
    SIPHON_PRINT_WIRE = 0,  /* exactly as received */
    SIPHON_PRINT_CANONICAL  /* full names, one SP, unfolded values, CRLF,
                               Content-Length recomputed */
} siphon_print_mode;

/*
 * Append the message to out. CANONICAL output can be longer than the
 * input (full header names, a Content-Length field added), so it may pass
 * limits the input met: parse it back with max_headers + 1 and
 * max_line + 32 to be sure.
 */
int siphon_msg_print(const siphon_msg *m, siphon_print_mode mode,
                     siphon_buf *out);

/*
 * Structural equality: same start line elements, same header fields in the
 * same order (names compared by id or case-insensitively, values with
 * folding collapsed) and the same body. The print round-trip invariant is
 * siphon_msg_equiv(parse(x), parse(print(parse(x)))).
 */
bool siphon_msg_equiv(const siphon_msg *a, const siphon_msg *b);

/* ---- building ---------------------------------------------------------- */

typedef struct siphon_msgb siphon_msgb;

siphon_msgb *siphon_msgb_request(siphon_str method, siphon_str ruri);
siphon_msgb *siphon_msgb_response(int status, siphon_str reason);
/* Start from an existing message (its start line, headers and body). */
siphon_msgb *siphon_msgb_from_msg(const siphon_msg *m);
void siphon_msgb_free(siphon_msgb *b);

int siphon_msgb_set_request_line(siphon_msgb *b, siphon_str method,
                                 siphon_str ruri);
int siphon_msgb_set_status(siphon_msgb *b, int status, siphon_str reason);
/* Append a field at the end of the header section. */
int siphon_msgb_add(siphon_msgb *b, siphon_str name, siphon_str value);
/* Insert a field before the first field with the same name (or at the
 * top), as a proxy adds its Via (RFC 3261 §16.6 step 8). */
int siphon_msgb_add_top(siphon_msgb *b, siphon_str name, siphon_str value);
/* Replace every field of that name by one field (added if absent). */
int siphon_msgb_set(siphon_msgb *b, siphon_str name, siphon_str value);
/* Remove fields of that name: all of them, or only the first when
 * first_only. Returns the number removed. */
int siphon_msgb_remove(siphon_msgb *b, siphon_str name, bool first_only);
/* Set the body. Content-Length is always computed by finish. A non-empty
 * content_type replaces Content-Type. */
int siphon_msgb_set_body(siphon_msgb *b, siphon_str content_type,
                         siphon_str body);
/* Print canonically and parse the result into a new message. The builder
 * stays usable. */
int siphon_msgb_finish(siphon_msgb *b, siphon_msg **out, siphon_perr *err);
/* Print canonically into out without parsing. */
int siphon_msgb_print(siphon_msgb *b, siphon_buf *out);

/*
 * A response to req per RFC 3261 §8.2.6: status line, the Vias, From, To,
 * Call-ID and CSeq copied; a To tag added (to_tag) unless the request had
 * one or the status is 100; Timestamp copied into a 100 (§8.2.6.1).
 * reason may be empty for the default phrase.
 */
siphon_msgb *siphon_msgb_response_to(siphon_msg *req, int status,
                                     siphon_str reason, siphon_str to_tag);

/*
 * The same response, made in one step without a builder: the status line,
 * then the request's Via, From, To, Call-ID and CSeq fields copied as
 * received (so folding and compact names stay as the client wrote them),
 * ";tag=" to_tag appended to To under the same rules, Timestamp for a 100,
 * and "Content-Length: 0". This is the fast path for a UAS or a stateless
 * responder; add headers with siphon_msgb_from_msg() when more are needed.
 * Returns 0 with *out holding one reference, SIPHON_EINVAL (req is no
 * request, status outside 100-699, to_tag not a token) or SIPHON_ENOMEM.
 */
int siphon_msg_response(siphon_msg *req, int status, siphon_str reason,
                        siphon_str to_tag, siphon_msg **out);

/* The RFC 3261 §21 default reason phrase, or "Unknown". */
const char *siphon_status_phrase(int status);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_MSG_H */
