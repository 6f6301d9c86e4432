/* gift.h: Moodle GIFT quiz text -> the quiz JSON the reader scores from. */
#ifndef RELAIS_GIFT_H
#define RELAIS_GIFT_H

#include <stddef.h>

#include "relais/diag.h"

/* Limits on one quiz file. */
#define RELAIS_GIFT_MAX_BYTES (1024 * 1024)
#define RELAIS_GIFT_MAX_QUESTIONS 500

/*
 * Parses GIFT text (UTF-8, len bytes, need not be NUL-terminated) from the
 * file named `file` (used only in messages). Every problem found is added to
 * diag as "file:line: message"; parsing goes on past errors where it can.
 *
 * Returns 0 and sets *out_json to a malloc'd NUL-terminated JSON document
 * (docs/quiz-format.md) owned by the caller; or RELAIS_EFORMAT when any
 * problem was found (*out_json NULL, diag holds the problems), RELAIS_ELIMIT
 * past the limits above, RELAIS_ENOMEM.
 */
int relais_gift_to_json(char **out_json, relais_diag *diag, const char *file, const char *text,
                        size_t len);

#endif
