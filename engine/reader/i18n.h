/* i18n.h: the reader's interface words in French and English (private). */
#ifndef RELAIS_I18N_H
#define RELAIS_I18N_H

#include <stddef.h>

enum lang { LANG_EN = 0, LANG_FR = 1 };

enum msg {
	M_LANG_CODE,
	M_OTHER_LANG_CODE,
	M_OTHER_LANG_NAME,
	M_SKIP,
	M_NAV_LIBRARY,
	M_NAV_SEARCH,
	M_NAV_OUTBOX,
	M_NAV_WHO,
	M_WHO_TITLE,
	M_WHO_INTRO,
	M_WHO_ADD,
	M_NAME,
	M_EMAIL,
	M_ORG,
	M_START,
	M_LIBRARY_TITLE,
	M_LIBRARY_EMPTY,
	M_CONTINUE,
	M_BEGIN,
	M_UNITS_DONE,
	M_COMPLETED,
	M_PUBLISHER_REVOKED,
	M_MINUTES,
	M_OUTLINE,
	M_LESSON,
	M_QUIZ,
	M_STATE_NEW,
	M_STATE_SEEN,
	M_STATE_DONE,
	M_PREVIOUS,
	M_NEXT,
	M_MARK_READ,
	M_PASS_MARK,
	M_SUBMIT,
	M_SCORE,
	M_PASSED,
	M_FAILED,
	M_RETRY,
	M_RECORDED,
	M_BACK_TO_OUTLINE,
	M_COURSE_DONE,
	M_COURSE_DONE_TEXT,
	M_SEARCH_TITLE,
	M_SEARCH_LABEL,
	M_SEARCH_BUTTON,
	M_SEARCH_NONE,
	M_SEARCH_COUNT,
	M_OUTBOX_TITLE,
	M_OUTBOX_INTRO,
	M_OUTBOX_EMPTY,
	M_OUTBOX_COUNT,
	M_WHEN,
	M_LEARNER,
	M_EVENT,
	M_ACTIVITY,
	M_NOT_FOUND,
	M_BAD_REQUEST,
	M_ERROR,
	M_PROGRESS_LABEL,
	M_BEST,
	M_ATTEMPTS,
	M_CURRENT_LEARNER,
	M_SEND_NOW,
	M_SENDING,
	M_LAST_SENT,
	M_NEVER_SENT,
	M_NO_HUB,
	M_SET_ASIDE_TITLE,
	M_SET_ASIDE_INTRO,
	M_REASON,
	M_LAST_TRY,
	M_SEARCH_ONE,
	M_VERB_EXPERIENCED,
	M_VERB_ANSWERED,
	M_VERB_PASSED,
	M_VERB_FAILED,
	M_VERB_COMPLETED,
	M_PIN_TITLE,
	M_PIN_ASK,
	M_PIN_LABEL,
	M_PIN_CONTINUE,
	M_PIN_WRONG,
	M_PIN_WAIT,
	M_PIN_LINK_SET,
	M_PIN_LINK_CHANGE,
	M_PIN_INTRO,
	M_PIN_CURRENT,
	M_PIN_NEW,
	M_PIN_SAVE,
	M_PIN_REMOVE,
	M_PIN_SAVED,
	M_PIN_REMOVED,
	M_PIN_LENGTH,
	M_SEND_AGAIN,
	M_COUNT
};

/* The string for msg in lang; never NULL. Some take printf arguments. */
const char *relais_tr(enum lang lang, enum msg msg);

/*
 * Formats a message that takes arguments (the table's formats are fixed and
 * reviewed with their callers). Always NUL-terminates out.
 */
void relais_tr_format(char *out, size_t size, enum lang lang, enum msg msg, ...);

/* The interface language for an Accept-Language header (NULL: English). */
enum lang relais_lang_from_header(const char *accept_language);

#endif
