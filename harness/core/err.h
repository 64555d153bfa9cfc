/*
 * harness/core/err.h -- base layer: the one error channel.
 *
 * Library code (plug-ins, run core, file formats) never prints: a function that
 * can fail takes an hb_err *, fills it with one line naming the bad value and
 * what was expected, and returns -1 (or NULL).  Only the command layer
 * (harness/cli/) prints the message and chooses the exit status, from kind.
 */
#ifndef HB_CORE_ERR_H
#define HB_CORE_ERR_H

#include <stdarg.h>

typedef enum hb_err_kind {
    HB_ERR_NONE = 0,
    HB_ERR_USAGE,  /* bad option, name or value: exit 2 */
    HB_ERR_INPUT,  /* malformed or unreadable input file: exit 2 */
    HB_ERR_NOMEM,  /* the OS or a heap limit refused memory: exit 1 */
    HB_ERR_SYSTEM, /* a system call failed (fork, write, rename): exit 1 */
} hb_err_kind;

typedef struct hb_err {
    hb_err_kind kind;
    char msg[512];
} hb_err;

/* Fills e (which may be NULL) and returns -1.  The message is one line, no
 * trailing newline, no program name: the command layer adds "heapbench CMD: ". */
__attribute__((format(printf, 3, 4))) int hb_fail(hb_err *e, hb_err_kind kind, const char *fmt, ...);
__attribute__((format(printf, 3, 0))) int hb_vfail(hb_err *e, hb_err_kind kind, const char *fmt, va_list ap);

static inline void hb_err_clear(hb_err *e)
{
    if (e) {
        e->kind = HB_ERR_NONE;
        e->msg[0] = '\0';
    }
}

#endif
