/*
 * str.c -- siphon_str views: comparison and number conversion.
 */
#include <siphon/base.h>

#include <string.h>

siphon_str siphon_str_c(const char *s)
{
    siphon_str r = {s, s ? strlen(s) : 0};
    return r;
}

bool siphon_str_eq(siphon_str a, siphon_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

bool siphon_str_caseeq(siphon_str a, siphon_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
            return false;
    return true;
}

bool siphon_str_caseeq_c(siphon_str a, const char *c)
{
    return siphon_str_caseeq(a, siphon_str_c(c));
}

int siphon_str_to_u64(siphon_str s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s.len == 0)
        return SIPHON_EPARSE;
    bool overflow = false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned d = (unsigned)((unsigned char)s.p[i] - '0');
        if (d > 9)
            return SIPHON_EPARSE;
        /* 19 digits always fit in 64 bits; check only beyond that */
        if (i >= 19 && v > (UINT64_MAX - d) / 10)
            overflow = true;
        v = v * 10 + d;
    }
    if (overflow || v > max)
        return SIPHON_ERANGE;
    *out = v;
    return 0;
}
