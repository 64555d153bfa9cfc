/*
 * harness/formats/io.h -- whole reads and writes on file descriptors, retried over
 * short counts and EINTR: the one copy the harness's writers share.
 */
#ifndef HB_IO_H
#define HB_IO_H

#include <stddef.h>

/* Writes all n bytes; 0, or -1 with errno set (ENOSPC for a write of 0). */
int hb_write_all(int fd, const void *buf, size_t n);
/* Reads until n bytes, end of file or an error; returns the bytes read. */
size_t hb_read_all(int fd, void *buf, size_t n);

#endif
