/*
 * reg_internal.h -- the registrar's private types, shared by the location
 * store (store.c) and the REGISTER processing (register.c).
 */
#ifndef SIPHON_REG_INTERNAL_H
#define SIPHON_REG_INTERNAL_H

#include <siphon/reg.h>

/* Largest per-AOR limit: every binding goes in one 200 (one field each). */
#define REG_MAX_PER_AOR_CAP 128

typedef struct raor raor;

/*
 * One binding: the public view followed, in the same malloc block, by its
 * parameter and Path arrays and every string it points to, so that a
 * binding is one allocation and is replaced whole on refresh.
 */
typedef struct rbind {
    siphon_reg_binding pub;
    raor *aor;
    size_t heap_idx;  /* position in siphon_reg.heap */
    uint64_t serial;  /* creation order: tie-breaker for "most recent" */
} rbind;

struct raor {
    raor *next;       /* hash chain */
    uint64_t hash;
    siphon_str key;   /* points just past the struct */
    rbind **b;
    size_t n, cap;
};

typedef struct revent {
    struct revent *next;
    siphon_reg_event ev; /* views into the bytes after the struct */
} revent;

struct siphon_reg {
    siphon_reg_config cfg;
    raor **buckets;
    size_t nbuckets;  /* power of two */
    size_t naors;
    rbind **heap;     /* min-heap on (expires_at, serial) */
    size_t nheap, capheap;
    uint64_t serial;
    revent *qhead, *qtail;
    revent *polled;   /* returned by the last poll; freed by the next */
    size_t nevents, dropped;
};

/* What a new binding is made of; the views are copied. */
typedef struct bind_spec {
    siphon_str aor, contact, display, call_id, instance, source;
    const siphon_params *params; /* "expires" is left out when copied */
    const siphon_str *path;
    size_t npath;
    uint16_t q;
    bool has_q;
    uint32_t expires_s;
    uint64_t expires_at, updated_at;
    uint32_t cseq;
    uint32_t reg_id;
    bool has_reg_id;
} bind_spec;

/* store.c */
rbind *reg_bind_new(siphon_reg *r, const bind_spec *s);
void reg_bind_free(rbind *b);
raor *reg_aor_find(const siphon_reg *r, siphon_str key);
raor *reg_aor_get(siphon_reg *r, siphon_str key); /* find or create */
void reg_aor_release(siphon_reg *r, raor *a);     /* free it if empty */
/* Make room so that nadd insertions into a and the heap cannot fail. */
int reg_reserve(siphon_reg *r, raor *a, size_t nadd);
void reg_insert(siphon_reg *r, raor *a, rbind *b); /* after reg_reserve */
void reg_replace(siphon_reg *r, rbind *old, rbind *b); /* frees old */
void reg_unlink(siphon_reg *r, rbind *b);          /* does not free b */
void reg_event(siphon_reg *r, siphon_reg_event_type t, const rbind *b);
/* Sort bindings by q descending, then most recent first. */
void reg_sort(const siphon_reg_binding **v, size_t n);
int reg_key_of(const siphon_uri *u, siphon_buf *out);

#endif
