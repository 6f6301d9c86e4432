/* error.h: status codes returned by every fallible relais function. */
#ifndef RELAIS_ERROR_H
#define RELAIS_ERROR_H

/*
 * A fallible function returns 0 on success or one of these negative codes,
 * and leaves a one-line message on its context (relais_errmsg()).
 * Codes are only ever appended, never renumbered.
 */
typedef enum relais_status {
	RELAIS_OK = 0,
	RELAIS_ENOMEM = -1,       /* an allocation failed */
	RELAIS_EIO = -2,          /* reading or writing a file failed */
	RELAIS_EINVAL = -3,       /* the caller passed an unusable argument */
	RELAIS_EFORMAT = -4,      /* input is malformed: bundle, manifest, key, course */
	RELAIS_ESIGNATURE = -5,   /* a signature does not verify or is by another key */
	RELAIS_EHASH = -6,        /* content does not match its recorded hash */
	RELAIS_ELIMIT = -7,       /* input exceeds one of relais' limits */
	RELAIS_ENOTFOUND = -8,    /* a named file, entry or unit does not exist */
	RELAIS_EPASSWORD = -9,    /* the password does not open the secret key */
	RELAIS_EEXIST = -10,      /* the output already exists */
	RELAIS_ECRYPTO = -11,     /* the cryptographic library failed */
	RELAIS_EBUSY = -12,       /* a database is busy, unreachable or restarting: try later */
	RELAIS_ECONSTRAINT = -13, /* a database constraint (a unique key) refused a row */
} relais_status;

/* Returns a static, human-readable name for a status code. */
const char *relais_strerror(int status);

#endif
