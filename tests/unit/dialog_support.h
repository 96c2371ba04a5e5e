/*
 * dialog_support.h -- helpers for the dialog layer tests (test_dialog.c):
 * the RFC 3665-style messages of Alice and Bob, responses built from a
 * request, and a dialog set whose events are recorded on a virtual clock.
 */
#ifndef SIPHON_TEST_DIALOG_SUPPORT_H
#define SIPHON_TEST_DIALOG_SUPPORT_H

#include <siphon/dialog.h>

#include <stddef.h>
#include <stdint.h>

#define CALLID "a84b4c76e66710@pc33.atlanta.example.com"
/* Bob's AOR, the Request-URI of most of Alice's INVITEs. */
#define BOB_URI "sip:bob@biloxi.example.com"

/* ---- messages ------------------------------------------------------------ */

/* Parse text with "\n" line ends (converted to CRLF); NULL on failure. */
siphon_msg *dlg_parse(const char *text);
/* Alice's INVITE (RFC 3665 style), with Request-URI ruri and Call-ID. */
siphon_msg *uac_invite2(const char *ruri, const char *callid);
/* The same with Call-ID CALLID. */
siphon_msg *uac_invite(const char *ruri);
/* The same INVITE as it reaches Bob, through two record-routing
 * proxies. */
siphon_msg *uas_invite(void);
/* A response to req with a To tag (NULL: none added), a Contact and
 * Record-Route values (raw text after "Record-Route: "), each optional. */
siphon_msg *dlg_reply(siphon_msg *req, int status, const char *totag,
                      const char *contact, const char *rr);
/* Bob answers with status and tag "bt", his Contact. */
siphon_msg *uas_reply(siphon_msg *inv, int status);
/* A request from Alice within the dialog: method, CSeq, To tag, Contact. */
siphon_msg *alice_req(const char *method, unsigned cseq, const char *totag,
                      const char *contact);
/* The idx-th value of a header field by name, or "" when absent. */
siphon_str dlg_hdr(siphon_msg *m, const char *name, int idx);

/* Unref each of the n messages (NULL ones too). */
void dlg_unref(siphon_msg *const *ms, size_t n);
#define DLG_UNREF(...)                                                         \
    dlg_unref((siphon_msg *[]){__VA_ARGS__},                                   \
              sizeof((siphon_msg *[]){__VA_ARGS__}) / sizeof(siphon_msg *))

/* ---- the set and its events on a virtual clock --------------------------- */

typedef struct dev {
    siphon_dialog_event_type type;
    siphon_dialog *dialog; /* identity only: may be freed */
    siphon_msg *msg;       /* owned by the recorder */
    siphon_str next_hop;   /* into msg */
    siphon_dialog_state state, prev;
    siphon_dialog_reason reason;
    uint64_t at;
} dev;

typedef struct dctx {
    siphon_dialog_set *s;
    dev ev[256];
    size_t n;
    char trace[4096];
} dctx;

void dctx_init(dctx *c, const siphon_dialog_config *cfg);
/* Record the queued events as happening at now. */
void dctx_drain(dctx *c, uint64_t now);
/* Fire the timers up to until at their deadlines, draining after each. */
void dctx_run(dctx *c, uint64_t until);
void dctx_clear(dctx *c);
void dctx_free(dctx *c);
/* "CREATED(EARLY)@0 SEND(200)@500 STATE(EARLY>CONFIRMED)@0 ..." */
const char *dctx_trace(dctx *c);
#define CHECK_TRACE(c, want) CHECK_STR(siphon_str_c(dctx_trace(c)), want)
/* The tests end by releasing their messages, then the set. */
#define DCTX_DONE(c, ...)                                                      \
    do {                                                                       \
        DLG_UNREF(__VA_ARGS__);                                                \
        dctx_free(c);                                                          \
    } while (0)

/* A request without body within dialog d at now (siphon_dialog_request). */
int dctx_request(dctx *c, siphon_dialog *d, const char *method, uint64_t now,
                 siphon_msg **out, siphon_str *next_hop);

/*
 * The UAC side most tests start from: c initialised with the defaults,
 * Alice's INVITE to BOB_URI in *inv, Bob's 200 with To tag "t1", contact
 * and Record-Route rr in *r200, received at 0 (checked to match). The
 * dialog it made, or NULL.
 */
siphon_dialog *uac_confirmed(dctx *c, siphon_msg **inv, siphon_msg **r200,
                             const char *contact, const char *rr);

/*
 * The UAS side: c initialised with cfg (NULL: the defaults), the INVITE as
 * Bob gets it in *inv, his 200 (uas_reply) in *r200 sent at now (checked
 * to match) and the events drained. The dialog it made, or NULL.
 */
siphon_dialog *uas_confirmed(dctx *c, const siphon_dialog_config *cfg,
                             siphon_msg **inv, siphon_msg **r200,
                             uint64_t now);

/*
 * The early dialog either side makes from Alice's INVITE through p1 and
 * p2: state, role and tags, the route set p2 then p1 (as the UAS got it,
 * reversed by the UAC), the remote target, and CSeq 314159 known on the
 * side that sent the INVITE only.
 */
void check_new_early(siphon_dialog *d, siphon_dialog_role role,
                     const char *local_tag, const char *remote_tag,
                     const char *target);

#endif
