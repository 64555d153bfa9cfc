/*
 * harness/formats/json.c -- formats layer: the JSON string escaper
 * (contract in harness/formats/json.h).
 */
#include "harness/formats/json.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one.
 * Reads stop at the first byte that is not a continuation byte, so the
 * terminating NUL is never passed. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* The escape of an ASCII byte that JSON does not allow as it is. */
static size_t escape_ascii(unsigned char c, char out[8])
{
    static const char hex[] = "0123456789abcdef";
    const char *two = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                    : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                    : c == '\f' ? "\\f" : NULL;
    if (two) {
        memcpy(out, two, 2);
        return 2;
    }
    memcpy(out, "\\u00", 4);
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    return 6;
}

size_t hb_json_escape_next(const char *str, char out[8], size_t *used)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = utf8_seq(s);
    if (n == 0) {
        *used = 1;
        memcpy(out, "\\ufffd", 6);
        return 6;
    }
    *used = n;
    if (n == 1 && (*s < 0x20 || *s == '"' || *s == '\\'))
        return escape_ascii(*s, out);
    memcpy(out, s, n);
    return n;
}

void hb_json_str(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    char buf[8];
    size_t used;
    fputc('"', out);
    while (*s) {
        fwrite(buf, 1, hb_json_escape_next(s, buf, &used), out);
        s += used;
    }
    fputc('"', out);
}
