/*
 * cap_internal.h -- helpers shared by the files of lib/capture. Not
 * installed.
 */
#ifndef SIPHON_CAP_INTERNAL_H
#define SIPHON_CAP_INTERNAL_H

#include <stdint.h>

/* Network byte order (big-endian) stores, for packet headers and HEP. */
static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
