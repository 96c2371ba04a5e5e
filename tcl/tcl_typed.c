/*
 * tcl_typed.c -- [sip::msg get MSG NAME -typed ?-all?]: the library's
 * typed view of a header (siphon_msg_typed) as Tcl dicts.
 *
 * Header grammar: RFC 3261 §20 and §25.1 (Via §20.42, From/To/Contact
 * §20.20/§20.39/§20.10, CSeq §20.16, Warning §20.43, Date §20.17,
 * Timestamp §20.38, User-Agent/Server §20.41/§20.35, the auth headers
 * §20.7/§20.27/§20.28/§20.44/§20.6), RFC 3262 §7.2 (RAck).
 *
 * Every dict carries the value as received under "raw" where the library
 * keeps it, views as bytes (see siphon_tcl.h), parameter lists as flat
 * {name value ...} lists in received order.
 */
#include "siphon_tcl.h"

#include <inttypes.h>
#include <stdio.h>

/* The C type siphon_msg_typed hands out for a header id. */
/* The C struct behind a header id comes from the library itself, so the
 * binding can never read one struct as another. */
typedef siphon_value_type TypedKind;
#define T_NONE SIPHON_VALUE_NONE
#define T_VIA SIPHON_VALUE_VIA
#define T_NAMEADDR SIPHON_VALUE_NAMEADDR
#define T_CSEQ SIPHON_VALUE_CSEQ
#define T_RACK SIPHON_VALUE_RACK
#define T_HVAL SIPHON_VALUE_HVAL
#define T_AUTH SIPHON_VALUE_AUTH
#define T_WARNING SIPHON_VALUE_WARNING
#define T_DATE SIPHON_VALUE_DATE
#define T_TIMESTAMP SIPHON_VALUE_TIMESTAMP
#define T_PRODUCT SIPHON_VALUE_PRODUCT

/*
 * Prototypes for functions referenced only in this file:
 */
static Tcl_Obj *ValueObj(TypedKind kind, const void *v, const void **nextPtr);
static Tcl_Obj *ViaObj(const siphon_via *v);
static Tcl_Obj *NameAddrObj(const siphon_nameaddr *na);
static Tcl_Obj *HvalObj(const siphon_hval *h);
static Tcl_Obj *U64Obj(uint64_t n);

/*
 *----------------------------------------------------------------------
 *
 * SiphonTypedObj --
 *	The typed value of header name in m: the first value's dict, or
 *	with all a list of one dict per value (across all fields).
 *
 * Results:
 *	TCL_OK with *resultPtr set (a new, unshared value), or TCL_ERROR:
 *	{SIP USAGE TYPED} for a header without a typed form,
 *	{SIP LOOKUP HEADER name} when absent (not with all: that gives {}),
 *	{SIP PARSE offset header rule} when the value does not parse.
 *
 * Side effects:
 *	The message caches the typed parse and may record findings.
 *
 *----------------------------------------------------------------------
 */
int
SiphonTypedObj(Tcl_Interp *interp, siphon_msg *m, siphon_str name, int all,
               Tcl_Obj **resultPtr)
{
    siphon_hdr_id id = siphon_hdr_lookup(name.p, name.len);
    TypedKind kind = siphon_hdr_value_type(id);
    const void *v = NULL;
    siphon_perr err = {0, NULL, NULL, {0}};
    int rc;

    if (kind == T_NONE) {
        return SiphonUsageError(interp, "TYPED",
                "header \"%.*s\" has no typed form", (int) name.len, name.p);
    }
    rc = siphon_msg_typed(m, id, &v, &err);
    if (rc == SIPHON_ENOENT) {
        if (all) {
            *resultPtr = Tcl_NewListObj(0, NULL);
            return TCL_OK;
        }
        /* Name the header as the script did, not canonically, so that
         * the errorcode matches what a [catch] compares against. */
        {
            Tcl_Obj *nameObj = SiphonStrObj(name);
            Tcl_IncrRefCount(nameObj);
            rc = SiphonLookupError(interp, Tcl_GetString(nameObj));
            Tcl_DecrRefCount(nameObj);
            return rc;
        }
    }
    if (rc == SIPHON_EINVAL) {
        return SiphonUsageError(interp, "TYPED",
                "header \"%s\" has no typed form", siphon_hdr_name(id));
    }
    if (rc < 0) {
        return SiphonParseError(interp, "message", rc, &err);
    }
    if (!all) {
        *resultPtr = ValueObj(kind, v, NULL);
        return TCL_OK;
    }
    *resultPtr = Tcl_NewListObj(0, NULL);
    while (v != NULL) {
        const void *next = NULL;

        Tcl_ListObjAppendElement(NULL, *resultPtr, ValueObj(kind, v, &next));
        v = next;
    }
    return TCL_OK;
}

/*
 * ValueObj --
 *	The dict of one typed value; *nextPtr (when not NULL) receives the
 *	next value of a chained kind, or NULL.
 */
static Tcl_Obj *
ValueObj(TypedKind kind, const void *v, const void **nextPtr)
{
    Tcl_Obj *d;
    const void *next = NULL;

    switch (kind) {
    case T_VIA:
        next = ((const siphon_via *) v)->next;
        d = ViaObj(v);
        break;
    case T_NAMEADDR:
        next = ((const siphon_nameaddr *) v)->next;
        d = NameAddrObj(v);
        break;
    case T_CSEQ: {
        const siphon_cseq *c = v;

        d = Tcl_NewDictObj();
        SiphonDictPut(d, "number", Tcl_NewWideIntObj((Tcl_WideInt) c->num));
        SiphonDictPut(d, "method", SiphonStrObj(c->method));
        break;
    }
    case T_RACK: {
        const siphon_rack *r = v;

        d = Tcl_NewDictObj();
        SiphonDictPut(d, "rseq", Tcl_NewWideIntObj((Tcl_WideInt) r->rseq));
        SiphonDictPut(d, "cseq", Tcl_NewWideIntObj((Tcl_WideInt) r->cseq));
        SiphonDictPut(d, "method", SiphonStrObj(r->method));
        break;
    }
    case T_HVAL:
        next = ((const siphon_hval *) v)->next;
        d = HvalObj(v);
        break;
    case T_AUTH: {
        const siphon_auth *a = v;

        next = a->next;
        d = Tcl_NewDictObj();
        SiphonDictPut(d, "scheme", SiphonStrObj(a->scheme));
        SiphonDictPut(d, "params", SiphonParamsObj(&a->params));
        SiphonDictPut(d, "raw", SiphonStrObj(a->raw));
        break;
    }
    case T_WARNING: {
        const siphon_warning *w = v;

        next = w->next;
        d = Tcl_NewDictObj();
        SiphonDictPut(d, "code", Tcl_NewIntObj(w->code));
        SiphonDictPut(d, "agent", SiphonStrObj(w->agent));
        SiphonDictPut(d, "text", SiphonStrObj(w->text));
        SiphonDictPut(d, "raw", SiphonStrObj(w->raw));
        break;
    }
    case T_DATE: {
        const siphon_date *dt = v;

        d = Tcl_NewDictObj();
        SiphonDictPut(d, "epoch", Tcl_NewWideIntObj((Tcl_WideInt) dt->epoch));
        SiphonDictPut(d, "gmt", Tcl_NewBooleanObj(dt->gmt));
        SiphonDictPut(d, "raw", SiphonStrObj(dt->raw));
        break;
    }
    case T_TIMESTAMP: {
        const siphon_timestamp *t = v;

        d = Tcl_NewDictObj();
        SiphonDictPut(d, "value", SiphonStrObj(t->value));
        SiphonDictPut(d, "delay", SiphonStrObj(t->delay));
        break;
    }
    case T_PRODUCT: {
        const siphon_product *p = v;

        next = p->next;
        d = Tcl_NewDictObj();
        SiphonDictPut(d, "text", SiphonStrObj(p->text));
        SiphonDictPut(d, "comment", Tcl_NewBooleanObj(p->comment));
        break;
    }
    default:
        d = Tcl_NewDictObj();
        break;
    }
    if (nextPtr != NULL) {
        *nextPtr = next;
    }
    return d;
}

/* {protocol SIP version 2.0 transport UDP host h hosttype name port 5060
 *  branch z9hG4bK.. received .. rport .. params {..} raw ..}; port,
 * branch, received and rport only when present (rport "" without a
 * value, RFC 3581). */
static Tcl_Obj *
ViaObj(const siphon_via *v)
{
    Tcl_Obj *d = Tcl_NewDictObj();

    SiphonDictPut(d, "protocol", SiphonStrObj(v->protocol));
    SiphonDictPut(d, "version", SiphonStrObj(v->version));
    SiphonDictPut(d, "transport", SiphonStrObj(v->transport));
    SiphonDictPut(d, "host", SiphonStrObj(v->host));
    SiphonDictPut(d, "hosttype",
                  Tcl_NewStringObj(SiphonHostTypeName(v->host_type), -1));
    if (v->has_port) {
        SiphonDictPut(d, "port", Tcl_NewIntObj(v->port));
    }
    if (v->has_branch) {
        SiphonDictPut(d, "branch", SiphonStrObj(v->branch));
    }
    if (v->received.len > 0) {
        SiphonDictPut(d, "received", SiphonStrObj(v->received));
    }
    if (v->has_rport) {
        SiphonDictPut(d, "rport", v->rport ? Tcl_NewIntObj(v->rport)
                                           : Tcl_NewObj());
    }
    SiphonDictPut(d, "params", SiphonParamsObj(&v->params));
    SiphonDictPut(d, "raw", SiphonStrObj(v->raw));
    return d;
}

/* {display "\"Bob\"" uri sip:bob@b.example tag 1928 params {..}
 *  expires 3600 q 0.7 raw ..}; display as written (quotes kept, "" when
 * absent), uri the URI text, star 1 for "Contact: *". */
static Tcl_Obj *
NameAddrObj(const siphon_nameaddr *na)
{
    Tcl_Obj *d = Tcl_NewDictObj();

    SiphonDictPut(d, "display", SiphonStrObj(na->display));
    if (na->star) {
        SiphonDictPut(d, "star", Tcl_NewBooleanObj(1));
        SiphonDictPut(d, "uri", Tcl_NewStringObj("*", 1));
    } else {
        SiphonDictPut(d, "uri", SiphonStrObj(na->uri_text));
    }
    if (na->has_tag) {
        SiphonDictPut(d, "tag", SiphonStrObj(na->tag));
    }
    SiphonDictPut(d, "params", SiphonParamsObj(&na->params));
    if (na->has_expires) {
        SiphonDictPut(d, "expires", Tcl_NewWideIntObj(na->expires));
    }
    if (na->has_q) {
        char buf[16];

        /* Thousandths back to the qvalue form of RFC 3261 §25.1:
         * 700 -> "0.7", 1000 -> "1". */
        snprintf(buf, sizeof(buf), "%g", na->q / 1000.0);
        SiphonDictPut(d, "q", Tcl_NewStringObj(buf, -1));
    }
    SiphonDictPut(d, "raw", SiphonStrObj(na->raw));
    return d;
}

/* {value .. subtype .. params {..} number .. comment .. raw ..}; subtype,
 * number and comment only when present. */
static Tcl_Obj *
HvalObj(const siphon_hval *h)
{
    Tcl_Obj *d = Tcl_NewDictObj();

    SiphonDictPut(d, "value", SiphonStrObj(h->value));
    if (h->subtype.len > 0) {
        SiphonDictPut(d, "subtype", SiphonStrObj(h->subtype));
    }
    SiphonDictPut(d, "params", SiphonParamsObj(&h->params));
    if (h->has_num) {
        SiphonDictPut(d, "number", U64Obj(h->num));
    }
    if (h->comment.len > 0) {
        SiphonDictPut(d, "comment", SiphonStrObj(h->comment));
    }
    SiphonDictPut(d, "raw", SiphonStrObj(h->raw));
    return d;
}

/* Tcl_WideInt is signed; numbers above 2^63-1 keep their decimal form
 * as a string (Tcl's integers read it back as a bignum). */
static Tcl_Obj *
U64Obj(uint64_t n)
{
    char buf[24];

    if (n <= (uint64_t) INT64_MAX) {
        return Tcl_NewWideIntObj((Tcl_WideInt) n);
    }
    snprintf(buf, sizeof(buf), "%" PRIu64, n);
    return Tcl_NewStringObj(buf, -1);
}

/* "name", "ipv4", "ipv6", or "" (also used by tcl_uri.c). */
const char *
SiphonHostTypeName(siphon_host_type t)
{
    switch (t) {
    case SIPHON_HOST_NAME: return "name";
    case SIPHON_HOST_IPV4: return "ipv4";
    case SIPHON_HOST_IPV6: return "ipv6";
    default: return "";
    }
}
