/*
 * harness/formats/json.h -- formats layer: the one JSON string escaper,
 * shared by the row writer (results.c, into its mapped buffer) and the
 * metadata writer (machine.c, into a stream).
 *
 * Escaping: '"' and '\\' and the control characters get their short escapes
 * (\n \r \t \b \f) or \u00XX; a valid UTF-8 sequence is copied as it is; a
 * byte that starts no valid sequence becomes \ufffd (U+FFFD), so the output
 * is always valid JSON in valid UTF-8.
 */
#ifndef HB_JSON_H
#define HB_JSON_H

#include <stddef.h>
#include <stdio.h>

/* The bytes to write for the character at s (which is not the terminating
 * NUL) into out (at most 6 bytes, not NUL-terminated): returns their count,
 * and *used gets the input bytes consumed (1..4). */
size_t hb_json_escape_next(const char *s, char out[8], size_t *used);

/* Writes s as a JSON string literal (quotes included); NULL as null. */
void hb_json_str(FILE *out, const char *s);

#endif
