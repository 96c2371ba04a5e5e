/*
 * ua_internal.h -- what the files of lib/ua share: the endpoint, its
 * listening points, the per-request origin of server transactions and
 * the client handles. Nothing outside lib/ua may use it.
 */
#ifndef SIPHON_UA_INTERNAL_H
#define SIPHON_UA_INTERNAL_H

#include <siphon/dialog.h>
#include <siphon/ua.h>

/* A listening point: one socket (UDP) or one stream transport. */
typedef struct ua_lp {
    siphon_ua *ua;
    siphon_transport tp;
    siphon_udp *udp;
    siphon_tcp *tcp;
    bool listening;             /* false: a client-only stream transport */
    struct sockaddr_storage addr;
    struct ua_lp *next;
} ua_lp;

/*
 * Where a request came from: the transaction user of the server
 * transaction it creates, so that its responses find their way back
 * (§18.2.2). Freed at TERMINATED, or at once when no transaction adopted
 * it.
 */
typedef struct ua_origin {
    ua_lp *lp;
    siphon_ua_flow flow;
    bool adopted;               /* a server transaction's user */
    bool dead;                  /* its transaction terminated */
    bool pending;               /* still on ua->pending */
    struct ua_origin *pnext;    /* ua->pending */
    struct ua_origin *prev, *next; /* ua->adopted */
    /* §8.2.2.2: requests without a To tag, indexed by From tag, Call-ID
     * and CSeq while their transaction lives (uas.c's merge table). */
    siphon_txn *txn;
    uint32_t merge_hash;
    bool merge_indexed;
    struct ua_origin *mprev, *mnext;
} ua_origin;

/* uas.c: the merged-request table of §8.2.2.2. */
#define UA_MERGE_BUCKETS 4096u
/* True when req (no To tag) repeats the From tag, Call-ID and CSeq of a
 * live transaction other than o's; otherwise indexes o (when it has no
 * To tag) and returns false. */
bool ua_merge_check(siphon_ua *ua, ua_origin *o, siphon_msg *req);
void ua_merge_forget(siphon_ua *ua, ua_origin *o);

struct ua_attempt;

/* The flow of a UAS dialog (dialogs.c), its user pointer. */
typedef struct ua_dflow {
    siphon_ua_flow flow;
    struct ua_dflow *prev, *next;
} ua_dflow;

struct siphon_ua_client {
    siphon_ua *ua;
    siphon_msg *orig;           /* as the TU gave it */
    siphon_msg *sent;           /* what went out last (with our Via) */
    siphon_ua_response_fn *cb;
    void *arg;
    bool own_via;               /* we add the Via, so we may fail over */
    bool no_txn;                /* ACK: sent once, no transaction */
    bool forgotten;
    bool final_done;            /* the TU has had its final call */
    bool starting;              /* inside start_attempt's caller */
    bool forced_transport;
    siphon_transport want_tp;
    char *server_name;
    struct siphon_auth_client *auth;  /* digest retries, when credentials */
    unsigned auth_rounds;       /* challenges answered for this request */
    siphon_resolve_query *query;
    siphon_resolve_result *targets;
    struct ua_attempt *cur;     /* the attempt in progress */
    unsigned live;              /* attempts whose transaction lives */
    struct siphon_ua_client *prev, *next;
};

struct siphon_ua {
    siphon_loop *loop;
    siphon_ua_config cfg;
    siphon_ua_handlers h;
    siphon_txn_layer *txl;
    ua_lp *lps;
    siphon_resolver *resolver;
    siphon_tls_ctx *tls_client_owned;
    uint64_t timer_id, timer_deadline;
    bool pumping;
    /* Origins of messages whose events are not all handled yet: swept
     * when the outermost pump ends (freed, or moved to adopted). */
    ua_origin *pending;
    ua_origin *adopted;         /* users of live server transactions */
    ua_origin **merge;          /* UA_MERGE_BUCKETS chains, when cfg.uas */
    siphon_ua_client *clients;
    struct ua_attempt *attempts; /* users of live client transactions */
    /* capture */
    siphon_ua_capture_fn *cap_fn;
    void *cap_arg;
    siphon_pcap_writer *pcap;
    siphon_udp *hep_udp;
    struct sockaddr_storage hep_dest;
    siphon_hep_opts hep_opts;
    char *hep_auth_key;
    siphon_ua_stats stats;
    siphon_ua_registrar registrar;
    siphon_dialog_set *dlg;     /* cfg.dialogs */
    ua_dflow *dflows;
    bool dlg_pumping;
};

/* endpoint.c */
void ua_pump(siphon_ua *ua);
uint64_t ua_now(siphon_ua *ua);
ua_lp *ua_lp_for(siphon_ua *ua, siphon_transport tp, bool create);
/* Send bytes over transport tp to dest; captures what went out. Returns
 * 0 or a negative code (the caller reports a transport error). */
int ua_send_bytes(siphon_ua *ua, ua_lp *lp, const struct sockaddr *dest,
                  const char *server_name, const char *bytes, size_t len);

/* endpoint.c: the transports' receive and close callbacks */
void ua_udp_recv_(siphon_udp *udp, const char *bytes, size_t len,
                  const struct sockaddr *src, socklen_t srclen,
                  uint64_t arrival_ms, void *arg);
void ua_tcp_recv_(siphon_tcp *tcp, siphon_tcp_conn *conn, const char *bytes,
                  size_t len, const struct sockaddr *peer,
                  const struct sockaddr *local, uint64_t arrival_ms,
                  void *arg);
void ua_tcp_closed_(siphon_tcp *tcp, siphon_tcp_conn *conn,
                    const struct sockaddr *peer,
                    const siphon_tcp_close_info *info, void *arg);

/* route.c */
/* §18.2.1 / RFC 3581: req with received and rport set from src, or req
 * itself (one more reference) when nothing changes. NULL on ENOMEM or
 * when the result does not parse. */
siphon_msg *ua_stamp_via(siphon_msg *req, const struct sockaddr *src);
/* §18.2.2: where resp goes, given the flow its request came on. */
int ua_response_dest(siphon_msg *resp, const siphon_ua_flow *flow,
                     struct sockaddr_storage *out);
/* A 400 for bytes that did not parse, built from their Via, From, To,
 * Call-ID and CSeq lines; NULL when no Via can be read. */
siphon_msg *ua_salvage_400(const char *bytes, size_t len, const char *why);
/* True when the bytes look like a request (not a status line). */
bool ua_bytes_are_request(const char *bytes, size_t len);
/* "z9hG4bK" + 16 random hex digits into buf (24 bytes). */
void ua_new_branch(char buf[24]);

/* client.c */
void ua_client_event(siphon_ua *ua, const siphon_txn_event *ev);
/* A stream connection to peer failed with data of ours unsent: err is
 * SIPHON_ETLS (handshake or certificate) or SIPHON_EIO. */
void ua_client_transport_failed(siphon_ua *ua, siphon_transport tp,
                                const struct sockaddr *peer, int err);
void ua_clients_free(siphon_ua *ua);

/* registrar.c: true when req was a REGISTER for the registrar service
 * (answered through stx), false when the TU should see it. */
bool ua_registrar_handle(siphon_ua *ua, siphon_txn *stx, siphon_msg *req,
                         const siphon_ua_flow *from);

/* dialogs.c */
int ua_dialogs_init(siphon_ua *ua);
void ua_dialogs_free(siphon_ua *ua);
void ua_dialogs_pump(siphon_ua *ua);
/* Our response resp to req went out on flow: UAS dialogs (§12.1.1). */
void ua_dialogs_response_out(siphon_ua *ua, siphon_msg *req, siphon_msg *resp,
                             const siphon_ua_flow *flow);
/* A response to req (NULL: a stray) arrived; true when it was a 2xx
 * retransmission the dialog answered with its ACK (not for the TU). */
bool ua_dialogs_response_in(siphon_ua *ua, siphon_msg *req, siphon_msg *resp);
void ua_dialogs_invite_ended(siphon_ua *ua, siphon_msg *invite);
/* A request arrived (stx NULL for an ACK): true when the dialog layer
 * answered it (481, 500, 400) and the TU must not see it. */
bool ua_dialogs_request_in(siphon_ua *ua, siphon_txn *stx, siphon_msg *req);

/* capture.c */
void ua_capture(siphon_ua *ua, siphon_ua_dir dir, const siphon_ua_flow *flow,
                const char *bytes, size_t len);
void ua_capture_free(siphon_ua *ua);

#endif
