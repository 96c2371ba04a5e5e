/*
 * log.c -- the library's only way out for diagnostics: a process-wide hook.
 */
#include <siphon/base.h>

#include <stdarg.h>
#include <stdio.h>

static siphon_log_fn *log_hook;
static void *log_arg;

void siphon_log_set_hook(siphon_log_fn *fn, void *arg)
{
    log_hook = fn;
    log_arg = arg;
}

void siphon_log(siphon_log_level level, const char *module, const char *fmt,
                ...)
{
    if (!log_hook)
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    log_hook(level, module, text, log_arg);
}
