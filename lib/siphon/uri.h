/*
 * siphon/uri.h -- SIP, SIPS, tel and generic absolute URIs.
 *
 * RFC 3261 §19.1 (SIP-URI, SIPS-URI) and §25.1 (ABNF), RFC 3966 (tel),
 * RFC 3986 for the generic form used by any other scheme (RFC 3261
 * absoluteURI). Comparison follows RFC 3261 §19.1.4 and RFC 3966 §4.
 *
 * Parsed URIs are views into the string they were parsed from, plus
 * parameter arrays taken from a caller-supplied arena: keep both alive.
 */
#ifndef SIPHON_URI_H
#define SIPHON_URI_H

#include <siphon/base.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum siphon_uri_scheme {
    SIPHON_URI_SIP = 1,
    SIPHON_URI_SIPS,
    SIPHON_URI_TEL,
    SIPHON_URI_OTHER /* any other absoluteURI: only scheme and opaque part */
} siphon_uri_scheme;

typedef enum siphon_host_type {
    SIPHON_HOST_NONE = 0,
    SIPHON_HOST_NAME,  /* hostname (RFC 3261 §25.1 hostname) */
    SIPHON_HOST_IPV4,  /* dotted quad */
    SIPHON_HOST_IPV6   /* IPv6reference: the view includes the brackets */
} siphon_host_type;

/* One ;name=value (or ;name) parameter, or one ?name=value URI header. */
typedef struct siphon_param {
    siphon_str name;
    siphon_str value;  /* as received: escaped or quoted; empty if none */
    bool has_value;
} siphon_param;

typedef struct siphon_params {
    siphon_param *v;
    size_t n;
} siphon_params;

/* Find a parameter by case-insensitive name; NULL if absent. */
const siphon_param *siphon_params_find(const siphon_params *ps,
                                       const char *name);

typedef struct siphon_uri {
    siphon_uri_scheme scheme;
    siphon_str raw;          /* the whole URI as parsed */
    siphon_str scheme_name;  /* as written ("SIP", "sip", "im", …) */

    /* sip: and sips: (RFC 3261 §19.1.1). user and password stay escaped;
     * siphon_uri_unescape() decodes them. */
    siphon_str user;         /* may contain ';' (RFC 4475 §3.1.1.9) */
    siphon_str password;
    bool has_user;
    bool has_password;
    siphon_str host;         /* hostname, IPv4 or "[IPv6]" */
    siphon_host_type host_type;
    uint16_t port;
    bool has_port;
    siphon_params params;    /* uri-parameters, in order */
    siphon_params headers;   /* ?hname=hvalue&…, in order */

    /* tel: (RFC 3966 §3). The number keeps its visual separators; the
     * parameters (phone-context, ext, isub, others) go in params. */
    siphon_str number;       /* "+1-201-555-0123" or "7042" */
    bool global;             /* global-number (starts with '+') */

    /* everything after "scheme:" (all schemes) */
    siphon_str opaque;
} siphon_uri;

/*
 * Parse len bytes at s as a URI. Parameter arrays come from arena a. On
 * failure returns SIPHON_EPARSE and, when err is not NULL, fills it (offset
 * is relative to s). Leading/trailing whitespace is not allowed.
 */
int siphon_uri_parse(siphon_arena *a, const char *s, size_t len,
                     siphon_uri *out, siphon_perr *err);

/*
 * Compare per RFC 3261 §19.1.4 (sip/sips) or RFC 3966 §4 (tel); other
 * schemes compare byte-for-byte, case-insensitive in the scheme. Returns
 * true when the URIs are equivalent. URIs of different schemes never are.
 */
bool siphon_uri_equal(const siphon_uri *a, const siphon_uri *b);

/*
 * Decode %HH escapes. out must hold in.len bytes; *out_len receives the
 * decoded length. A '%' not followed by two hex digits is copied literally
 * (RFC 4475 §3.1.1.5 shows such text); the return value is then
 * SIPHON_EPARSE, else 0. Never recurses (RFC 4475 §3.1.1.3).
 */
int siphon_uri_unescape(siphon_str in, char *out, size_t *out_len);

/* Internal entry points shared between uri*.c files. */
int siphon_uri_parse_tel_(siphon_arena *a, const char *s, size_t len,
                          siphon_uri *out, siphon_perr *err);
bool siphon_uri_equal_sip_(const siphon_uri *a, const siphon_uri *b);
bool siphon_uri_equal_tel_(const siphon_uri *a, const siphon_uri *b);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_URI_H */
