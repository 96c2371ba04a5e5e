/*
 * auth_internal.h -- helpers shared by the digest authentication files
 * (lib/auth): hex and base64url coding, quoting, error text.
 */
#ifndef SIPHON_AUTH_INTERNAL_H
#define SIPHON_AUTH_INTERNAL_H

#include <siphon/auth.h>

#include <stdarg.h>

/* Fill err (when not NULL) with an offset, an ABNF rule and a sentence. */
void auth_perr(siphon_perr *err, size_t offset, const char *rule,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void auth_hex(const uint8_t *p, size_t n, char *out);
/* True when s is exactly len hex digits (either case). */
bool auth_is_hex(siphon_str s, size_t len);

/* base64url without padding (RFC 4648 §5): out holds 4*ceil(n/3)+1. */
size_t auth_b64url_encode(const uint8_t *p, size_t n, char *out);
/* Decode exactly; returns the byte count or -1 on a bad character or
 * when more than max bytes would be written. */
long auth_b64url_decode(siphon_str s, uint8_t *out, size_t max);

/* Append a quoted-string, escaping '"' and '\' (RFC 3261 §25.1). */
int auth_append_quoted(siphon_buf *b, siphon_str s);

/* Copy a view into a fixed array (cap includes the NUL); false if it does
 * not fit. */
bool auth_copy(char *dst, size_t cap, siphon_str s);

/* Constant-time equality of two hex digests, ignoring hex letter case. */
bool auth_hex_equal(siphon_str a, const char *b, size_t len);

#endif /* SIPHON_AUTH_INTERNAL_H */
