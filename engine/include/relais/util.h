/* util.h: small helpers every room shares: growing arrays and the clock. */
#ifndef RELAIS_UTIL_H
#define RELAIS_UTIL_H

#include <stddef.h>

/*
 * Appends one zeroed element of size bytes to the array *array holding
 * *count elements, growing it by doubling, and returns the new element
 * (*count is then one more); NULL when out of memory, the array unchanged.
 * The array is freed by its owner as usual.
 */
void *relais_push(void *array, size_t *count, size_t size);

/*
 * Writes the current UTC time as ISO 8601 with milliseconds
 * ("2026-11-29T10:00:00.000Z"); returns it in milliseconds since the epoch.
 */
long long relais_now_iso(char out[32]);

/* Writes ms (since the epoch) as relais_now_iso() does. */
void relais_time_format(char out[32], long long ms);

/*
 * Milliseconds since the epoch of an ISO 8601 date ("2026-11-29") or date
 * and time ("2026-11-29T10:00:00.5+01:00"; no zone: UTC), or -1 when it is
 * malformed or names no real time (2026-02-31, 24:00). Digits past the
 * millisecond are dropped.
 */
long long relais_time_parse(const char *iso);

#endif
