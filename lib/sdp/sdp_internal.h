/*
 * sdp_internal.h -- helpers shared by the files of lib/sdp. Not installed.
 */
#ifndef SIPHON_SDP_INTERNAL_H
#define SIPHON_SDP_INTERNAL_H

#include <siphon/sdp.h>

#include <string.h>

/*
 * Arrays in the arena grow by doubling. Their capacity is not stored: it
 * is the smallest power of two >= n (at least 4), which holds as long as
 * every array is filled through sdp_grow (removal only lowers n, so it
 * can at worst cause one needless copy).
 */
void *sdp_grow(siphon_arena *a, void *arr, size_t n, size_t size);

#define SDP_PUSH(a, arr, n)                                                    \
    ((arr) = sdp_grow((a), (arr), (n), sizeof *(arr)), (arr) ? &(arr)[(n)++]  \
                                                              : NULL)

/* A copy of s in the arena (views of empty strings stay empty). */
siphon_str sdp_dup(siphon_arena *a, siphon_str s, bool *oom);

/* The canonical rank of a line type at session level and media level
 * (RFC 8866 §5 order); -1 for a type not known at that level. */
int sdp_rank_session(char type);
int sdp_rank_media(char type);

/* Split on SP: the next token of *s (empty at the end); skips runs of SP
 * so that lenient input still splits. */
siphon_str sdp_token(siphon_str *s);

/* Parse the typed part of a line into its struct. 0 or SIPHON_EPARSE. */
int sdp_parse_origin(siphon_str v, siphon_sdp_origin *o);
int sdp_parse_conn(siphon_str v, siphon_sdp_conn *c);
int sdp_parse_bw(siphon_str v, siphon_sdp_bw *b);
int sdp_parse_time(siphon_str v, siphon_sdp_time *t);
int sdp_parse_mline(siphon_arena *a, siphon_str v, siphon_sdp_media *m);
void sdp_parse_attr(siphon_str v, siphon_sdp_attr *at);

/* Case-insensitive comparison of a view with a C string. */
bool sdp_caseeq(siphon_str a, const char *c);
/* Equality of a view with a C string. */
bool sdp_eq(siphon_str a, const char *c);

#endif /* SIPHON_SDP_INTERNAL_H */
