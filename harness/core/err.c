/*
 * harness/core/err.c -- base layer: the error channel (contract in err.h).
 */
#include "harness/core/err.h"

#include <stdio.h>

int hb_vfail(hb_err *e, hb_err_kind kind, const char *fmt, va_list ap)
{
    if (e != NULL) {
        e->kind = kind;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    }
    return -1;
}

int hb_fail(hb_err *e, hb_err_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hb_vfail(e, kind, fmt, ap);
    va_end(ap);
    return -1;
}
