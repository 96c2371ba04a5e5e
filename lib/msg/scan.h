/*
 * scan.h -- character classes and small scanners of the RFC 3261 §25.1
 * grammar, shared by the parsers in lib/msg. Not installed.
 */
#ifndef SIPHON_SCAN_H
#define SIPHON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CC_TOKEN = 1,      /* token: alphanum / "-" "." "!" "%" "*" "_" "+" "`" "'" "~" */
    CC_ALNUM = 2,
    CC_DIGIT = 4,
    CC_HEX = 8,
    CC_UNRESERVED = 16, /* alphanum / mark: "-" "_" "." "!" "~" "*" "'" "(" ")" */
    CC_WS = 32,         /* SP HTAB CR LF: LWS inside an already-framed value */
    CC_HOST = 64,       /* hostname chars: alphanum "-" "." "_" */
    CC_WORD = 128       /* word (callid): token plus "(" ")" "<" ">" ":" "\" DQUOTE "/" "[" "]" "?" "{" "}" */
};

extern const uint8_t siphon_cclass_[256];

static inline bool cc(unsigned char c, unsigned cls)
{
    return (siphon_cclass_[c] & cls) != 0;
}

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && cc((unsigned char)*p, CC_WS))
        p++;
    return p;
}

static inline const char *rskip_ws(const char *p, const char *end)
{
    while (end > p && cc((unsigned char)end[-1], CC_WS))
        end--;
    return end;
}

static inline const char *skip_token(const char *p, const char *end)
{
    while (p < end && cc((unsigned char)*p, CC_TOKEN))
        p++;
    return p;
}

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * Find the end of a quoted-string starting at p (which points at the
 * opening DQUOTE). Returns a pointer just past the closing DQUOTE, or NULL
 * when it is unterminated. quoted-pair escapes any octet but CR and LF
 * (RFC 3261 §25.1).
 */
static inline const char *skip_quoted(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '"')
            return p + 1;
        if (*p == '\\') {
            if (p + 1 >= end || p[1] == '\r' || p[1] == '\n')
                return NULL;
            p++;
        }
    }
    return NULL;
}

#endif
