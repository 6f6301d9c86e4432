/* error.c: names of the status codes. */
#include "relais/error.h"

const char *relais_strerror(int status)
{
	switch ((relais_status)status) {
	case RELAIS_OK:
		return "success";
	case RELAIS_ENOMEM:
		return "out of memory";
	case RELAIS_EIO:
		return "input/output error";
	case RELAIS_EINVAL:
		return "invalid argument";
	case RELAIS_EFORMAT:
		return "malformed input";
	case RELAIS_ESIGNATURE:
		return "bad signature";
	case RELAIS_EHASH:
		return "content does not match its hash";
	case RELAIS_ELIMIT:
		return "limit exceeded";
	case RELAIS_ENOTFOUND:
		return "not found";
	case RELAIS_EPASSWORD:
		return "wrong password";
	case RELAIS_EEXIST:
		return "already exists";
	case RELAIS_ECRYPTO:
		return "cryptographic failure";
	case RELAIS_EBUSY:
		return "database busy or unreachable";
	case RELAIS_ECONSTRAINT:
		return "constraint violated";
	}
	return "unknown error";
}
