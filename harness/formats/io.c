/*
 * harness/formats/io.c -- formats layer: whole reads and writes, paths,
 * folders, whole-or-nothing files (contract in harness/formats/io.h).
 */
#include "harness/formats/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int hb_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

size_t hb_read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* Reads fd to its end into *buf (grown by doubling); 0 or -1 (errno). */
static int read_to_end(int fd, char **buf, size_t *n)
{
    size_t cap = 65536;
    char *b = malloc(cap + 1);
    *n = 0;
    for (;;) {
        if (b == NULL) {
            errno = ENOMEM;
            return -1;
        }
        if (*n == cap) {
            char *g = cap < SIZE_MAX / 4 ? realloc(b, cap * 2 + 1) : NULL;
            if (g == NULL) {
                free(b);
                b = NULL;
                continue;
            }
            b = g;
            cap *= 2;
        }
        ssize_t k = read(fd, b + *n, cap - *n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            free(b);
            errno = e;
            return -1;
        }
        if (k == 0)
            break;
        *n += (size_t)k;
    }
    b[*n] = '\0';
    *buf = b;
    return 0;
}

char *hb_read_whole(const char *path, size_t *len, hb_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hb_fail(e, HB_ERR_INPUT, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0;
    int rc = read_to_end(fd, &buf, &n);
    int err = errno;
    close(fd);
    if (rc != 0) {
        hb_fail(e, err == ENOMEM ? HB_ERR_NOMEM : HB_ERR_INPUT, "cannot read %s: %s", path,
                strerror(err));
        errno = err;
        return NULL;
    }
    if (len)
        *len = n;
    return buf;
}

int hb_path(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int hb_mkdirs(const char *path, hb_err *e)
{
    char buf[4096];
    if (hb_path(buf, sizeof buf, "%s", path) != 0)
        return hb_fail(e, HB_ERR_USAGE, "folder name too long: '%.80s...'", path);
    for (char *p = buf + 1;; p++) {
        int last = *p == '\0';
        if (*p == '/' || last) {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return hb_fail(e, HB_ERR_SYSTEM, "cannot create folder '%s': %s", buf, strerror(errno));
            if (last)
                break;
            *p = '/';
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return hb_fail(e, HB_ERR_SYSTEM, "'%s' exists and is not a folder", path);
    return 0;
}

int hb_atomic_open_fd(hb_atomic *a, const char *path, hb_err *e)
{
    a->f = NULL;
    a->fd = -1;
    a->tmp[0] = '\0';
    if (hb_path(a->path, sizeof a->path, "%s", path) != 0 ||
        hb_path(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid()) != 0) {
        a->tmp[0] = '\0';
        errno = ENAMETOOLONG;
        return hb_fail(e, HB_ERR_USAGE, "file name too long: '%.80s...'", path);
    }
    a->fd = open(a->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (a->fd < 0) {
        int err = errno;
        a->tmp[0] = '\0';
        errno = err;
        return hb_fail(e, HB_ERR_SYSTEM, "cannot write '%s': %s", path, strerror(err));
    }
    return 0;
}

int hb_atomic_open(hb_atomic *a, const char *path, hb_err *e)
{
    if (hb_atomic_open_fd(a, path, e) != 0)
        return -1;
    a->f = fdopen(a->fd, "w");
    if (a->f == NULL) {
        int err = errno;
        hb_atomic_abort(a);
        errno = err;
        return hb_fail(e, HB_ERR_SYSTEM, "cannot write '%s': %s", path, strerror(err));
    }
    return 0;
}

int hb_atomic_commit(hb_atomic *a, hb_err *e)
{
    int bad = 0, err = 0;
    if (a->f != NULL) {
        bad = ferror(a->f) || fflush(a->f) != 0;
        err = bad ? (errno ? errno : EIO) : 0;
        if (fclose(a->f) != 0 && !bad)
            bad = 1, err = errno;
    } else if (a->fd >= 0 && close(a->fd) != 0) {
        bad = 1, err = errno;
    } else if (a->fd < 0) {
        bad = 1, err = EBADF;
    }
    a->f = NULL;
    a->fd = -1;
    if (!bad && rename(a->tmp, a->path) != 0)
        bad = 1, err = errno;
    if (bad) {
        unlink(a->tmp);
        errno = err ? err : EIO;
        return hb_fail(e, HB_ERR_SYSTEM, "cannot write '%s': %s", a->path, strerror(errno));
    }
    return 0;
}

void hb_atomic_abort(hb_atomic *a)
{
    int err = errno;
    if (a->f != NULL)
        fclose(a->f);
    else if (a->fd >= 0)
        close(a->fd);
    a->f = NULL;
    a->fd = -1;
    if (a->tmp[0])
        unlink(a->tmp);
    errno = err;
}
