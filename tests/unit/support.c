/*
 * support.c -- helpers shared by the unit tests (support.h).
 */
#include "support.h"

#include "unit.h"

const siphon_uri *uri_of(siphon_msg *m, const siphon_nameaddr *na)
{
    static const siphon_uri empty;
    siphon_perr err;
    const siphon_uri *u = na ? siphon_nameaddr_uri(m, na, &err) : NULL;
    if (!u) {
        unit_fail(__FILE__, __LINE__, "no URI: %s", na ? err.text : "no value");
        return &empty;
    }
    return u;
}
