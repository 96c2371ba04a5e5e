/*
 * typed_internal.h -- shared state of the typed header parsers (typed*.c).
 */
#ifndef SIPHON_TYPED_INTERNAL_H
#define SIPHON_TYPED_INTERNAL_H

#include "msg_internal.h"
#include "scan.h"

/* What one typed parse works on: the message, the field and the error. */
typedef struct tctx {
    siphon_msg *m;
    const siphon_hdr *h;
    siphon_hdr_id id;    /* names the header in errors and findings */
    siphon_perr *err;
} tctx;

/* The canonical header name, looked up only when a message needs it. */
static inline const char *tname(const tctx *t)
{
    return siphon_hdr_name(t->id);
}

/* Fill the error for the current header; returns SIPHON_EPARSE. */
int terr(tctx *t, const char *at, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Record a finding in the current header; returns true when strict mode
 * makes it an error (the caller then fails with terr). */
bool tfinding(tctx *t, siphon_finding_level level, const char *at,
              const char *rule, const char *rfc, const char *text);

/* End of the list element starting at p: the next comma outside quotes and
 * angle brackets, or end. NULL when a quoted-string is unterminated. */
const char *element_end(const char *p, const char *end);

/*
 * Parse *(SEMI generic-param) starting at *pp (RFC 3261 §25.1: SEMI and
 * EQUAL allow LWS around them; gen-value = token / host / quoted-string).
 * Stops before a ',' or at end; anything else is an error.
 */
int parse_params(tctx *t, const char **pp, const char *end, siphon_params *out);

/* Parse a URI inside a header value, reporting errors at the right
 * offset. */
int parse_uri_in(tctx *t, const char *s, const char *e, siphon_uri *u);

int parse_nameaddr(tctx *t, const char *s, const char *e, bool contact,
                   siphon_nameaddr *out);
int parse_via(tctx *t, const char *s, const char *e, siphon_via *out);

#endif
