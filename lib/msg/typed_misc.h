/*
 * typed_misc.h -- parsers for the headers with a shape of their own
 * (typed_misc.c).
 */
#ifndef SIPHON_TYPED_MISC_H
#define SIPHON_TYPED_MISC_H

#include "typed_internal.h"

/* End of a (comment) starting at p, nested comments allowed; NULL if
 * unterminated. */
const char *skip_comment(const char *p, const char *end);

int parse_auth(tctx *t, const char *s, const char *e, bool with_scheme,
               siphon_auth *out);
int parse_warning(tctx *t, const char *s, const char *e, siphon_warning *out);
int parse_date(tctx *t, const char *s, const char *e, siphon_date *out);
int parse_timestamp(tctx *t, const char *s, const char *e, siphon_timestamp *out);
int parse_products_chain(tctx *t, const char *s, const char *e,
                         siphon_product **first);

#endif
