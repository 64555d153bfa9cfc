/*
 * harness/formats/io.h -- formats layer: whole reads and writes on file
 * descriptors (retried over short counts and EINTR), whole-file reading,
 * paths, folders and the one write-to-temp-then-rename writer: the one copy
 * every reader and writer of the harness shares.
 */
#ifndef HB_IO_H
#define HB_IO_H

#include <stddef.h>
#include <stdio.h>

#include "harness/core/err.h"

/* Writes all n bytes; 0, or -1 with errno set (ENOSPC for a write of 0). */
int hb_write_all(int fd, const void *buf, size_t n);
/* Reads until n bytes, end of file or an error; returns the bytes read. */
size_t hb_read_all(int fd, void *buf, size_t n);

/*
 * Reads the whole file at path (regular or not: a pipe, /proc) into a
 * malloc'd buffer with a NUL after its last byte, so it is also a C string
 * and a parser may write one NUL past any field.  *len (may be NULL) gets
 * the length.  NULL with e filled (HB_ERR_INPUT naming the file and why).
 */
char *hb_read_whole(const char *path, size_t *len, hb_err *e);

/* snprintf into buf; 0, or -1 if it did not fit (buf then holds a prefix). */
__attribute__((format(printf, 3, 4))) int hb_path(char *buf, size_t cap, const char *fmt, ...);

/* mkdir -p: every missing folder of path, mode 0777 & ~umask; 0 or -1 (e). */
int hb_mkdirs(const char *path, hb_err *e);

/*
 * A file written whole or not at all: hb_atomic_open makes PATH.tmp.PID,
 * hb_atomic_commit flushes, closes and renames it over PATH; hb_atomic_abort
 * removes it.  A reader never sees a half-written PATH; an interrupted writer
 * leaves at most a .tmp.PID file, which no reader opens.
 *
 * hb_atomic_open gives a stream (a->f); hb_atomic_open_fd only a descriptor
 * (a->fd, a->f NULL) and allocates nothing, for the recorder, which writes
 * from inside the program's malloc.  On failure errno is kept as well, for
 * callers whose contract is errno (e may be NULL).
 */
typedef struct hb_atomic {
    FILE *f;
    int fd;
    char path[4096], tmp[4200];
} hb_atomic;

int hb_atomic_open(hb_atomic *a, const char *path, hb_err *e);
int hb_atomic_open_fd(hb_atomic *a, const char *path, hb_err *e);
int hb_atomic_commit(hb_atomic *a, hb_err *e); /* 0, or -1 (tmp removed) */
void hb_atomic_abort(hb_atomic *a);

#endif
