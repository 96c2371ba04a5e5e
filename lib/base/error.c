/*
 * error.c -- names and texts of the SIPHON_E* error codes.
 */
#include <siphon/base.h>

typedef struct error_entry {
    int code;
    const char *name;
    const char *text;
} error_entry;

static const error_entry errors[] = {
    {SIPHON_OK, "SIPHON_OK", "success"},
    {SIPHON_ENOMEM, "SIPHON_ENOMEM", "out of memory"},
    {SIPHON_EINVAL, "SIPHON_EINVAL", "invalid argument"},
    {SIPHON_EPARSE, "SIPHON_EPARSE", "malformed input"},
    {SIPHON_EAGAIN, "SIPHON_EAGAIN", "incomplete input"},
    {SIPHON_ETOOBIG, "SIPHON_ETOOBIG", "input exceeds a limit"},
    {SIPHON_ENOENT, "SIPHON_ENOENT", "not present"},
    {SIPHON_ERANGE, "SIPHON_ERANGE", "number out of range"},
    {SIPHON_EVERSION, "SIPHON_EVERSION", "unsupported SIP version"},
    {SIPHON_EDUP, "SIPHON_EDUP", "header that must be unique appears more than once"},
    {SIPHON_EIO, "SIPHON_EIO", "system call failed"},
    {SIPHON_ESTATE, "SIPHON_ESTATE", "not allowed in this state"},
    {SIPHON_ETIMEDOUT, "SIPHON_ETIMEDOUT", "timed out"},
    {SIPHON_ETLS, "SIPHON_ETLS", "TLS handshake or certificate verification failed"},
};

static const error_entry *find(int err)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == err)
            return &errors[i];
    return NULL;
}

const char *siphon_strerror(int err)
{
    const error_entry *e = find(err);
    return e ? e->text : "unknown error";
}

const char *siphon_errname(int err)
{
    const error_entry *e = find(err);
    return e ? e->name : "SIPHON_E?";
}
