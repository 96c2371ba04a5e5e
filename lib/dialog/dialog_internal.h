/*
 * dialog_internal.h -- the dialog object, the set, and the helpers shared
 * by set.c (storage, events, timers), dialog.c (the state machine of
 * RFC 3261 §12-§15) and request.c (requests within a dialog, §12.2.1.1).
 */
#ifndef SIPHON_DIALOG_INTERNAL_H
#define SIPHON_DIALOG_INTERNAL_H

#include <siphon/dialog.h>

/* A malloc'd byte string; p is NUL-terminated for convenience. */
typedef struct dstr {
    char *p;
    size_t len;
} dstr;

/* One route set entry (§12.1.1): the Record-Route value as written and
 * whether its URI carries ;lr (loose routing, §16.12.1.1). */
typedef struct droute {
    dstr value;   /* name-addr with header parameters */
    dstr uri;     /* the URI inside it */
    bool lr;
} droute;

struct siphon_dialog {
    siphon_dialog *hnext;         /* hash chain */
    siphon_dialog *prev, *next;   /* the set's list of live dialogs */
    void *user;
    uint32_t hash;
    uint8_t state;                /* siphon_dialog_state */
    uint8_t role;                 /* siphon_dialog_role */
    uint8_t reason;               /* siphon_dialog_reason */
    bool secure;
    bool has_local_cseq, has_remote_cseq;
    bool has_invite_cseq;         /* we sent an INVITE in this dialog */
    bool invite_2xx;              /* ... and a 2xx to it came: ACK it */
    /* §14: an INVITE in progress in each direction (glare) */
    bool uac_invite_pending;      /* ours, until its final response */
    bool uas_invite_pending;      /* the peer's, until our final one */
    uint32_t uas_invite_cseq;
    bool timer_on;                /* in the timer heap */
    uint32_t heap_idx;            /* its place there */
    uint64_t tseq;                /* arming order, for stable ties */
    /* the dialog ID (§12) */
    dstr call_id, local_tag, remote_tag;
    /* From/To values for our requests: local and remote URI with tags */
    dstr local_hdr, remote_hdr;
    dstr local_contact;           /* our Contact value (name-addr) */
    dstr remote_target;           /* the peer's Contact URI */
    droute *routes;
    size_t nroutes;
    uint32_t local_cseq, remote_cseq;
    uint32_t create_cseq;         /* CSeq number of the creating INVITE */
    uint32_t invite_cseq;         /* our last INVITE's, for the ACK */
    siphon_msg *ack;              /* the ACK for invite_cseq, once built */
    /* §13.3.1.4: our 2xx to an INVITE, until its ACK */
    siphon_msg *retx;
    uint32_t retx_cseq;
    uint32_t retx_ms;             /* current interval */
    uint64_t retx_at;             /* next retransmission */
    uint64_t retx_end;            /* 64*T1 after the first send */
};

struct siphon_dialog_set {
    siphon_dialog_config cfg;
    siphon_dialog **buckets;
    size_t nbuckets;
    size_t count;                 /* live dialogs */
    siphon_dialog *list;          /* live dialogs */
    /* min-heap of dialogs with a 2xx retransmission, by deadline */
    siphon_dialog **heap;
    size_t nheap, capheap;
    uint64_t tseq;
    uint64_t rng_state;           /* the fallback generator */
    siphon_dialog_event *evq;
    size_t evhead, evlen, evcap;
    siphon_dialog *zombie;        /* freed on the next poll */
};

/* set.c */
/* Room for the events of one step (plus k more) before it changes any
 * state, so that running out of memory refuses the step whole. */
int dlg_reserve(siphon_dialog_set *s);
int dlg_reserve_n(siphon_dialog_set *s, size_t k);
void dlg_emit(siphon_dialog_set *s, siphon_dialog_event_type type,
              siphon_dialog *d, siphon_msg *msg, siphon_str next_hop);
uint32_t dlg_rand(siphon_dialog_set *s);
uint32_t dlg_hash(siphon_str call_id, siphon_str ltag, siphon_str rtag);
siphon_dialog *dlg_lookup(siphon_dialog_set *s, siphon_str call_id,
                          siphon_str ltag, siphon_str rtag);
/* Link a new dialog into the hash and the list; the caller checked the
 * limit. */
void dlg_insert(siphon_dialog_set *s, siphon_dialog *d);
int dlg_grow(siphon_dialog_set *s);
/* End d: unlink it, stop its timer, queue TERMINATED. */
void dlg_terminate(siphon_dialog_set *s, siphon_dialog *d,
                   siphon_dialog_reason reason);
/* Room for one more timer, claimed before a step changes state. */
int dlg_timer_reserve(siphon_dialog_set *s);
/* Arm d's timer, or move it after its deadline changed. */
void dlg_timer_start(siphon_dialog_set *s, siphon_dialog *d);
void dlg_timer_stop(siphon_dialog_set *s, siphon_dialog *d);
void dlg_free(siphon_dialog *d);
int dstr_set(dstr *d, siphon_str v);
/* The same with folding (CR, LF) turned into spaces, for header values
 * that go back on the wire in one line. */
int dstr_set_line(dstr *d, siphon_str v);
void dstr_free(dstr *d);
static inline siphon_str dstr_view(const dstr *d)
{
    return siphon_str_make(d->p, d->len);
}
void droutes_free(droute *r, size_t n);

/* request.c */
/* Build a request of d (no state change besides what the caller does
 * with cseq). */
int dlg_build(siphon_dialog_set *s, siphon_dialog *d, siphon_str method,
              uint32_t cseq, bool contact, siphon_str content_type,
              siphon_str body, siphon_msg **out, siphon_str *next_hop);
/* The next hop of m, a request of d (a view into m, §8.1.2). */
siphon_str dlg_next_hop(const siphon_dialog *d, siphon_msg *m);
/* The next local CSeq number (§12.2.1.1), or SIPHON_ERANGE. */
int dlg_next_cseq(siphon_dialog_set *s, siphon_dialog *d, uint32_t *n);
/* BYE after 64*T1 without ACK (§13.3.1.4). */
void dlg_no_ack(siphon_dialog_set *s, siphon_dialog *d);

#endif
