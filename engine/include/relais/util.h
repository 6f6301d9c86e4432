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

#endif
