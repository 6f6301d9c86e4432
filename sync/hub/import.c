/* import.c: relais-hub import: a relais-records file carried by hand, stored as POST would. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hub_private.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/gzip.h"
#include "relais/key.h"

/*
 * A records file may be of any size: it is read twice, in parts, never
 * whole. The first pass checks its signature; the second inflates it and
 * splits its JSON as it comes, so that at most one statement's text
 * (RELAIS_HUB_STATEMENT_MAX) and its parsed tree are held at a time, and
 * checks the signature again over the bytes it read, before the commit.
 */
#define SIGNATURE_MAX 4096 /* a .minisig is under 400 bytes */
#define NAME_MAX_BYTES 256 /* a member name of the document */
#define CHUNK 65536        /* inflated bytes split at a time */
#define PROGRESS_EVERY 1000

/* Keeps ctx's message and sets its status. */
static void ctx_status(relais_ctx *ctx, int status)
{
	char msg[512];

	(void)snprintf(msg, sizeof(msg), "%s", relais_errmsg(ctx));
	relais_fail(ctx, status, "%s", msg);
}

/*
 * Reads the detached signature at sig_path (*sig, malloc'd) and finds the
 * registered laptop key it claims: fills *who, *pub and key_id. Returns 0,
 * or a failure naming the reason and path.
 */
static int find_signer(char **sig, size_t *sig_len, struct relais_hub_credential *who,
                       relais_pubkey **pub, char key_id[RELAIS_KEYID_HEX], relais_hub *hub,
                       relais_ctx *ctx, const char *path, const char *sig_path)
{
	int rc = relais_file_read(sig, sig_len, ctx, sig_path, SIGNATURE_MAX);

	if (rc == RELAIS_ENOTFOUND && !relais_file_exists(path)) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "%s: no such file", path);
	}
	if (rc == RELAIS_ENOTFOUND) {
		return relais_fail(ctx, RELAIS_ESIGNATURE,
		                   "%s: unsigned: no signature %s (relais export-records writes it "
		                   "beside the file)",
		                   path, sig_path);
	}
	if (rc != 0) {
		return rc;
	}
	if (relais_signature_key_id(ctx, *sig, *sig_len, key_id) != 0) {
		return relais_fail(ctx, RELAIS_ESIGNATURE, "%s: %s is not a minisign signature",
		                   path, sig_path);
	}
	if ((rc = relais_hub_laptop_key_find(who, pub, hub, ctx, key_id)) != 0) {
		return relais_prefix(ctx, "%s", path);
	}
	return 0;
}

/* Where the splitter is in the document (docs/sync.md, "Export"). */
enum where {
	AT_START,      /* before '{' */
	AT_NAME_FIRST, /* after '{': a member's name, or '}' */
	AT_NAME,       /* after ',': a member's name */
	IN_NAME,       /* inside a member's name */
	AT_COLON,      /* after a name */
	AT_VALUE,      /* after ':' of a member other than "statements" */
	AT_ARRAY,      /* after "statements": */
	AT_ITEM_FIRST, /* after '[': a statement, or ']' */
	AT_ITEM,       /* after ',' between statements */
	AFTER_ITEM,    /* after a statement: ',' or ']' */
	AFTER_MEMBER,  /* after a member's value: ',' or '}' */
	AT_END,        /* after the closing '}': only white space */
	IN_VALUE,      /* inside a value being kept (a member's, a statement) */
};

/* The header members, in the order they must come before "statements". */
enum { FORMAT, VERSION, LAPTOP_KEY, STATEMENTS, N_MEMBERS };
static const char *const member_names[N_MEMBERS] = {"format", "version", "laptop_key",
                                                    "statements"};

/*
 * The second pass: the inflated document split into its members and
 * statements, each statement's text kept and parsed alone.
 */
struct split {
	relais_ctx *ctx;
	const char *path;
	const char *key_id;     /* the signer's */
	relais_verifier *again; /* the signature, checked over the bytes read */
	relais_gunzip_reader *gz;
	unsigned char in[CHUNK];
	size_t in_pos, in_len;
	int eof;
	enum where at, after_value; /* after_value: where IN_VALUE goes when the value ends */
	int member;                 /* the member being read (N_MEMBERS: another) */
	int seen[N_MEMBERS];
	/* The value being kept: its text, nesting depth and string state. */
	char *text;
	size_t len;
	size_t depth;
	int in_string, escaped, scalar;
	size_t index; /* statements so far */
	cJSON *statement;
};

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Where the splitter is, for messages: "statements[N]" or "the document". */
static const char *place(char *buf, size_t size, const struct split *s)
{
	if (s->member == STATEMENTS && s->at != AFTER_MEMBER && s->at != AT_END) {
		(void)snprintf(buf, size, "statements[%zu]", s->index);
	} else {
		(void)snprintf(buf, size, "the document");
	}
	return buf;
}

static int malformed(struct split *s, const char *what)
{
	char at[48];

	return relais_fail(s->ctx, RELAIS_EFORMAT, "%s: malformed at %s: %s", s->path,
	                   place(at, sizeof(at), s), what);
}

static int not_records(struct split *s)
{
	return relais_fail(s->ctx, RELAIS_EFORMAT, "%s: not a relais-records file (version 2)",
	                   s->path);
}

/* Starts keeping a value (its first byte comes next); then goes to `then`. */
static void keep_value(struct split *s, enum where then)
{
	s->at = IN_VALUE;
	s->after_value = then;
	s->len = 0;
	s->depth = 0;
	s->in_string = s->escaped = s->scalar = 0;
}

/* The member named by the JSON string text[0..len) (quotes included). */
static int member_named(struct split *s, int *member)
{
	cJSON *name = cJSON_ParseWithLength(s->text, s->len);
	int i;

	if (!cJSON_IsString(name)) {
		cJSON_Delete(name);
		return malformed(s, "a member's name is not a JSON string");
	}
	for (i = 0; i < N_MEMBERS && strcmp(name->valuestring, member_names[i]) != 0; i++) {
	}
	cJSON_Delete(name);
	*member = i;
	if (i < N_MEMBERS && s->seen[i]) {
		return relais_fail(s->ctx, RELAIS_EFORMAT, "%s: the member \"%s\" appears twice",
		                   s->path, member_names[i]);
	}
	if (i == STATEMENTS && !(s->seen[FORMAT] && s->seen[VERSION] && s->seen[LAPTOP_KEY])) {
		return not_records(s); /* its header comes first */
	}
	if (i < N_MEMBERS) {
		s->seen[i] = 1;
	}
	return 0;
}

/* Checks a member's value, kept in text: JSON, and as the header wants it. */
static int header_value(struct split *s)
{
	cJSON *v = cJSON_ParseWithLength(s->text, s->len);
	int rc = 0;

	if (v == NULL) {
		rc = malformed(s, "a member's value is not JSON");
	} else if (s->member == FORMAT &&
	           (!cJSON_IsString(v) || strcmp(v->valuestring, "relais-records") != 0)) {
		rc = not_records(s);
	} else if (s->member == VERSION && (!cJSON_IsNumber(v) || v->valueint != 2)) {
		rc = not_records(s);
	} else if (s->member == LAPTOP_KEY && !cJSON_IsString(v)) {
		rc = not_records(s);
	} else if (s->member == LAPTOP_KEY && strcmp(v->valuestring, s->key_id) != 0) {
		rc = relais_fail(s->ctx, RELAIS_EINVAL,
		                 "%s: beyond its signer's scope: the file claims laptop key %.20s "
		                 "but is signed by %s",
		                 s->path, v->valuestring, s->key_id);
	}
	cJSON_Delete(v);
	return rc;
}

/* Parses the statement kept in text into s->statement, measured first. */
static int statement_value(struct split *s)
{
	char msg[128];

	if (relais_hub_measure(msg, sizeof(msg), s->text, s->len, SIZE_MAX, RELAIS_HUB_VALUES_MAX,
	                       1)) {
		return relais_fail(s->ctx, RELAIS_ELIMIT, "%s: statements[%zu]: %s", s->path,
		                   s->index, msg);
	}
	s->statement = cJSON_ParseWithLength(s->text, s->len);
	if (s->statement == NULL) {
		return relais_fail(s->ctx, RELAIS_EFORMAT, "%s: statements[%zu] is not JSON",
		                   s->path, s->index);
	}
	return 0;
}

/*
 * Adds byte c to the value being kept. Sets *done when the value ended:
 * after c (a string, an object, an array), or before it (a number or a
 * literal, ended by c, which is then not taken: *taken is 0).
 */
static int value_byte(struct split *s, int c, int *done, int *taken)
{
	*done = 0;
	*taken = 1;
	if (s->len == 0) {
		s->scalar = c != '"' && c != '{' && c != '[';
	}
	if (s->scalar && (is_space(c) || c == ',' || c == '}' || c == ']')) {
		*done = 1;
		*taken = 0;
		return 0;
	}
	if (s->len >= RELAIS_HUB_STATEMENT_MAX) {
		char at[48];
		return relais_fail(s->ctx, RELAIS_ELIMIT, "%s: %s is larger than 1 MiB", s->path,
		                   s->after_value == AFTER_ITEM ? place(at, sizeof(at), s)
		                                                : "a member of the document");
	}
	s->text[s->len++] = (char)c;
	if (s->in_string) {
		if (s->escaped) {
			s->escaped = 0;
		} else if (c == '\\') {
			s->escaped = 1;
		} else if (c == '"') {
			s->in_string = 0;
			*done = s->depth == 0;
		}
	} else if (c == '"') {
		s->in_string = 1;
	} else if (c == '{' || c == '[') {
		s->depth++;
	} else if ((c == '}' || c == ']') && s->depth > 0) {
		*done = --s->depth == 0;
	}
	return 0;
}

/*
 * Feeds the splitter one byte. Sets *taken to 0 when c must be fed again
 * (it ended a number), *ready when a statement was parsed.
 */
static int split_byte(struct split *s, int c, int *taken, int *ready)
{
	int done, rc;

	*taken = 1;
	if (s->at != IN_VALUE && s->at != IN_NAME && is_space(c)) {
		return 0;
	}
	switch (s->at) {
	case AT_START:
		if (c != '{') {
			return not_records(s);
		}
		s->at = AT_NAME_FIRST;
		return 0;
	case AT_NAME_FIRST:
	case AT_NAME:
		if (c == '}' && s->at == AT_NAME_FIRST) {
			return not_records(s);
		}
		if (c != '"') {
			return malformed(s, "expected a member's name");
		}
		keep_value(s, AT_COLON);
		s->at = IN_NAME;
		s->text[s->len++] = (char)c;
		s->in_string = 1;
		return 0;
	case IN_NAME:
		if (s->len >= NAME_MAX_BYTES) {
			return malformed(s, "a member's name is longer than 256 bytes");
		}
		s->text[s->len++] = (char)c;
		if (s->escaped) {
			s->escaped = 0;
		} else if (c == '\\') {
			s->escaped = 1;
		} else if (c == '"') {
			s->at = AT_COLON;
			return member_named(s, &s->member);
		}
		return 0;
	case AT_COLON:
		if (c != ':') {
			return malformed(s, "expected ':' after a member's name");
		}
		s->at = s->member == STATEMENTS ? AT_ARRAY : AT_VALUE;
		return 0;
	case AT_VALUE:
		if (c == ',' || c == ']' || c == '}' || c == ':') {
			return malformed(s, "expected a member's value");
		}
		keep_value(s, AFTER_MEMBER);
		return split_byte(s, c, taken, ready);
	case AT_ARRAY:
		if (c != '[') {
			return not_records(s);
		}
		s->at = AT_ITEM_FIRST;
		return 0;
	case AT_ITEM_FIRST:
	case AT_ITEM:
		if (c == ']' && s->at == AT_ITEM_FIRST) {
			s->at = AFTER_MEMBER;
			return 0;
		}
		if (c == ',' || c == ']' || c == '}' || c == ':') {
			return malformed(s, "expected a statement");
		}
		keep_value(s, AFTER_ITEM);
		return split_byte(s, c, taken, ready);
	case AFTER_ITEM:
		if (c == ',') {
			s->at = AT_ITEM;
			if (++s->index % PROGRESS_EVERY == 0) {
				relais_log(s->ctx, RELAIS_LOG_INFO, "importing: %zu statements",
				           s->index);
			}
		} else if (c == ']') {
			s->index++;
			s->at = AFTER_MEMBER;
		} else {
			return malformed(s, "expected ',' or ']' after a statement");
		}
		return 0;
	case AFTER_MEMBER:
		if (c == ',') {
			s->at = AT_NAME;
		} else if (c == '}') {
			if (!s->seen[STATEMENTS]) {
				return not_records(s);
			}
			s->at = AT_END;
		} else {
			return malformed(s, "expected ',' or '}' after a member");
		}
		return 0;
	case AT_END:
		return relais_fail(s->ctx, RELAIS_EFORMAT,
		                   "%s: malformed: bytes follow the end of the document", s->path);
	case IN_VALUE:
		if ((rc = value_byte(s, c, &done, taken)) != 0 || !done) {
			return rc;
		}
		s->at = s->after_value;
		if (s->at == AFTER_ITEM) {
			*ready = 1;
			return statement_value(s);
		}
		return header_value(s);
	}
	return 0;
}

/* The end of the inflated document: it must be whole. */
static int split_end(struct split *s)
{
	char at[48];

	if (s->at == AT_END) {
		/* The file was read whole: what is stored must be what was signed. */
		if (relais_verifier_end(s->again, s->ctx, NULL) != 0) {
			return relais_fail(s->ctx, RELAIS_ESIGNATURE,
			                   "%s: bad signature: the file changed while it was read",
			                   s->path);
		}
		return 0;
	}
	if (s->at == AT_START) {
		return not_records(s);
	}
	return relais_fail(s->ctx, RELAIS_EFORMAT, "%s: truncated: the document ends inside %s",
	                   s->path, place(at, sizeof(at), s));
}

/* relais_hub_next_fn: the next statement of the file, parsed. */
static int next_statement(cJSON **st, relais_ctx *ctx, void *data)
{
	struct split *s = data;
	int rc, taken, ready = 0;

	*st = NULL;
	cJSON_Delete(s->statement);
	s->statement = NULL;
	while (!ready) {
		if (s->in_pos == s->in_len) {
			if (s->eof) {
				return split_end(s);
			}
			rc = relais_gunzip_reader_read(s->gz, ctx, s->in, sizeof(s->in),
			                               &s->in_len);
			if (rc != 0) {
				return rc;
			}
			s->in_pos = 0;
			s->eof = s->in_len == 0;
			continue;
		}
		if ((rc = split_byte(s, s->in[s->in_pos], &taken, &ready)) != 0) {
			return rc;
		}
		s->in_pos += (size_t)taken;
	}
	*st = s->statement;
	return 0;
}

/* relais_gzip_tap_fn: the bytes the second pass reads, hashed for the signature. */
static void hash_read(void *data, const void *buf, size_t len)
{
	relais_verifier_update(data, buf, len);
}

/*
 * The second pass: stores the statements of path as who's, in one
 * transaction, once the bytes read were found to be the ones signed.
 */
static int store_file(size_t *stored, size_t *known, relais_hub *hub, relais_ctx *ctx,
                      const char *path, const char *key_id, const relais_pubkey *pub,
                      const char *sig, size_t sig_len, const struct relais_hub_credential *who)
{
	struct relais_hub_reply reply = {0};
	relais_verifier *v = NULL;
	struct split *s = NULL;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->text = malloc(RELAIS_HUB_STATEMENT_MAX)) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	s->ctx = ctx;
	s->path = path;
	s->key_id = key_id;
	s->at = AT_START;
	s->member = N_MEMBERS;
	if ((rc = relais_verifier_new(&v, ctx, pub, sig, sig_len)) != 0 ||
	    (rc = relais_gunzip_reader_open(&s->gz, ctx, path, hash_read, v)) != 0) {
		goto out;
	}
	s->again = v;
	rc = relais_hub_store_each(&reply, hub, ctx, next_statement, s, who, stored, known);
	if (rc == 0 && reply.status == 403) {
		char why[512];
		(void)snprintf(why, sizeof(why), "%s", relais_errmsg(ctx));
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "%s: beyond the scopes of credential %s (%s): %s", path, who->key,
		                 who->name, why);
	} else if (rc == 0 && reply.status != 200) {
		/* The store left the statement's problem on ctx; name the file. */
		ctx_status(ctx, reply.status == 409 ? RELAIS_EEXIST : RELAIS_EFORMAT);
		rc = relais_prefix(ctx, "%s", path);
	}
out:
	relais_hub_reply_clear(&reply);
	if (s != NULL) {
		cJSON_Delete(s->statement);
		relais_gunzip_reader_free(s->gz);
		free(s->text);
		free(s);
	}
	relais_verifier_free(v);
	return rc;
}

int relais_hub_import(size_t *stored, size_t *known, relais_hub *hub, relais_ctx *ctx,
                      const char *path, const char *signature_path)
{
	struct relais_hub_credential who;
	relais_pubkey *pub = NULL;
	char *sig = NULL, *sig_path = NULL, key_id[RELAIS_KEYID_HEX];
	size_t sig_len = 0;
	int rc;

	*stored = *known = 0;
	if (signature_path == NULL) {
		size_t n = strlen(path) + sizeof(".minisig");
		if ((sig_path = malloc(n)) == NULL) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
		(void)snprintf(sig_path, n, "%s.minisig", path);
		signature_path = sig_path;
	}
	if ((rc = find_signer(&sig, &sig_len, &who, &pub, key_id, hub, ctx, path,
	                      signature_path)) != 0) {
		goto out;
	}
	/* First pass: nothing unsigned is inflated or parsed. */
	rc = relais_verify_file(ctx, pub, path, sig, sig_len, NULL);
	if (rc == RELAIS_ESIGNATURE || (rc == RELAIS_EFORMAT && relais_file_exists(path))) {
		rc = relais_fail(ctx, RELAIS_ESIGNATURE,
		                 "%s: bad signature: the file is not the one laptop key %s signed",
		                 path, key_id);
	}
	if (rc != 0) {
		goto out;
	}
	rc = store_file(stored, known, hub, ctx, path, key_id, pub, sig, sig_len, &who);
out:
	relais_pubkey_free(pub);
	free(sig);
	free(sig_path);
	return rc;
}
