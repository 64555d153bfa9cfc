/*
 * harness/formats/io.c -- whole reads and writes (see harness/formats/io.h).
 */
#include "harness/formats/io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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

int hb_atomic_open(hb_atomic *a, const char *path, hb_err *e)
{
    a->f = NULL;
    if (hb_path(a->path, sizeof a->path, "%s", path) != 0 ||
        hb_path(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid()) != 0)
        return hb_fail(e, HB_ERR_USAGE, "file name too long: '%.80s...'", path);
    a->f = fopen(a->tmp, "w");
    if (a->f == NULL)
        return hb_fail(e, HB_ERR_SYSTEM, "cannot write '%s': %s", a->tmp, strerror(errno));
    return 0;
}

int hb_atomic_commit(hb_atomic *a, hb_err *e)
{
    int bad = a->f == NULL || ferror(a->f);
    if (a->f != NULL && fclose(a->f) != 0)
        bad = 1;
    a->f = NULL;
    if (bad || rename(a->tmp, a->path) != 0) {
        int err = errno;
        unlink(a->tmp);
        return hb_fail(e, HB_ERR_SYSTEM, "cannot write '%s': %s", a->path, strerror(err ? err : EIO));
    }
    return 0;
}

void hb_atomic_abort(hb_atomic *a)
{
    if (a->f != NULL)
        fclose(a->f);
    a->f = NULL;
    unlink(a->tmp);
}
