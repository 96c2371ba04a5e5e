/*
 * scan.h -- character classes and small scanners of the RFC 3261 §25.1
 * grammar, shared by the parsers in lib/msg. Not installed.
 */
#ifndef SIPHON_SCAN_H
#define SIPHON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Classes of RFC 3261 §25.1; cclass.c gives each its character set. */
enum {
    CC_TOKEN = 1 << 0,
    CC_ALNUM = 1 << 1,
    CC_DIGIT = 1 << 2,
    CC_HEX = 1 << 3,
    CC_UNRESERVED = 1 << 4,
    CC_WS = 1 << 5,         /* SP HTAB CR LF: LWS inside an already-framed value */
    CC_HOST = 1 << 6,
    CC_WORD = 1 << 7,
    CC_USER = 1 << 8,
    CC_PASSWORD = 1 << 9,
    CC_PARAMCHAR = 1 << 10,
    CC_HNVCHAR = 1 << 11,
    CC_GENVALUE = 1 << 12,
    CC_SCHEME = 1 << 13,
    CC_DIGITDOT = 1 << 14,
    CC_HOSTLABEL = 1 << 15
};

extern uint16_t siphon_cclass_[256];

static inline bool cc(unsigned char c, unsigned cls)
{
    return (siphon_cclass_[c] & cls) != 0;
}

/*
 * End of the run of class-cls bytes at p. Four bytes are tested per step
 * (their classes AND-ed), which cuts the work on the long runs of tags,
 * branches and hosts; the tail goes byte by byte. (Eight per step measured
 * slower: most runs are short.)
 */
static inline const char *scan_class(const char *p, const char *end, unsigned cls)
{
    const uint16_t *t = siphon_cclass_;
    while (end - p >= 4) {
        unsigned all = (unsigned)t[(unsigned char)p[0]] & t[(unsigned char)p[1]] &
                       t[(unsigned char)p[2]] & t[(unsigned char)p[3]];
        if (!(all & cls))
            break;
        p += 4;
    }
    while (p < end && (t[(unsigned char)*p] & cls))
        p++;
    return p;
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
    return scan_class(p, end, CC_TOKEN);
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
 * when it is unterminated or holds a bare control octet. qdtext is LWS or
 * a visible or non-ASCII octet, so other controls (NUL, BS, DEL...) may
 * appear only escaped; quoted-pair escapes any octet but CR and LF
 * (RFC 3261 §25.1).
 */
static inline const char *skip_quoted(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
            return NULL;
        if (c == '\\') {
            if (p + 1 >= end || p[1] == '\r' || p[1] == '\n')
                return NULL;
            p++;
        }
    }
    return NULL;
}

/* Why skip_quoted() found no end for the quoted-string at p: the
 * suffix-less reason text for an error message. */
static inline bool quoted_has_control(const char *p, const char *end)
{
    for (p++; p < end && *p != '"'; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
            return true;
        if (c == '\\' && p + 1 < end)
            p++;
    }
    return false;
}

/* Case-insensitive equality with a lower-case literal of length len. */
static inline bool name_is(const char *p, size_t plen, const char *lit, size_t len)
{
    if (plen != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'A' && c <= 'Z')
            c |= 0x20;
        if (c != (unsigned char)lit[i])
            return false;
    }
    return true;
}
#define NAME_IS(s, lit) name_is((s).p, (s).len, lit, sizeof(lit) - 1)

#endif
