/*
 * txn_support.h -- a virtual-clock harness for the transaction layer
 * tests (test_txn_*.c): message factories and an event recorder that
 * stamps every event with the virtual time it came out at.
 */
#ifndef SIPHON_TXN_SUPPORT_H
#define SIPHON_TXN_SUPPORT_H

#include <siphon/txn.h>

typedef struct trec_ev {
    siphon_txn_event_type type;
    siphon_txn *txn;  /* identity only: may be freed */
    siphon_msg *msg;  /* owned by the recorder */
    uint64_t at;
} trec_ev;

typedef struct trec {
    trec_ev ev[2048];
    size_t n;
} trec;

/* Parse text with "\n" line ends (converted to CRLF); NULL on failure. */
siphon_msg *tx_parse(const char *text);
/* A request: method, top Via "SIP/2.0/UDP <sentby>;branch=<branch>", a
 * second Via, Route, From with tag, To without tag, CSeq 1 <cseq_method>. */
siphon_msg *tx_request(const char *method, const char *branch,
                       const char *sentby, const char *cseq_method);
/* A response to req with status and To tag (NULL: none). */
siphon_msg *tx_response(siphon_msg *req, int status, const char *totag);

/* Drain the queue into r, stamping events with now. */
void trec_drain(siphon_txn_layer *l, trec *r, uint64_t now);
/* Advance the virtual clock to until, firing timers at their deadlines
 * and draining after each. */
void trec_run(siphon_txn_layer *l, trec *r, uint64_t until);
void trec_clear(trec *r);
/* Events of a type (and txn, NULL for any) from index from on. */
size_t trec_count(const trec *r, siphon_txn_event_type type);
/* Index of the n-th (0-based) event of type, or -1. */
long trec_find(const trec *r, siphon_txn_event_type type, size_t nth);
/* "SEND@0 RESPONSE@0 ..." for failure messages and compact checks. */
const char *trec_trace(const trec *r);

/* The sent-by host the request helpers use by default. */
#define SENTBY "pc33.atlanta.example.com"

/* The server transaction the last REQUEST event in r announced, or NULL. */
siphon_txn *trec_last_request(const trec *r);

/*
 * The per-test fixture: the layer, the test's recorder and the messages
 * the test made. txfix_end() clears the recorder, drops every kept
 * message and frees the layer (with any live transaction).
 */
#define TXFIX_MAX_MSGS 16

typedef struct txfix {
    siphon_txn_layer *l;
    trec *r;
    siphon_msg *msg[TXFIX_MAX_MSGS];
    size_t nmsg;
} txfix;

/* Declares the fixture fx, the recorder r and the layer l (cfg: NULL for
 * the defaults) the way every transaction test starts. */
#define TXN_FIXTURE(fx, cfg)                                                 \
    txfix fx;                                                                \
    trec r = {0};                                                            \
    siphon_txn_layer *l = txfix_begin(&fx, (cfg), &r)

/* A new layer (cfg: NULL for the defaults) recording into r. */
siphon_txn_layer *txfix_begin(txfix *f, const siphon_txn_config *cfg, trec *r);
/* Take over the reference to m (NULL is passed through); returns m. */
siphon_msg *txfix_keep(txfix *f, siphon_msg *m);
/* tx_request() and tx_response(), kept by the fixture. */
siphon_msg *txfix_req(txfix *f, const char *method, const char *branch,
                      const char *sentby, const char *cseq_method);
siphon_msg *txfix_resp(txfix *f, siphon_msg *req, int status,
                       const char *totag);
/* Clear the recorder, unref the kept messages, free the layer. */
void txfix_end(txfix *f);

#endif
