/* fuzz_hub_import.c: libFuzzer harness for relais-hub import: any file as a records file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "relais/gzip.h"
#include "relais/hub.h"
#include "relais/key.h"

/*
 * A laptop key made for this harness, fixed so that seed files can name it
 * ("laptop_key": LAPTOP_KEY_ID): each input is signed with it, so the
 * import goes past the signature to the inflating and parsing.
 */
#define LAPTOP_KEY_ID "2DA97B4FF67936EA"
static const char laptop_sec[] =
        "untrusted comment: minisign encrypted secret key\n"
        "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA6jZ59k97qS2UQ5mt"
        "vK254G4+N/MiunOlPHIfJl8ZzfMihdJ5AxnhWnztTbKRaW8K5hV1r2SE59dOapcx3WAxb9N9hcEbV2hOAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char laptop_pub[] = "untrusted comment: minisign public key " LAPTOP_KEY_ID "\n"
                                 "RWTqNnn2T3upLXztTbKRaW8K5hV1r2SE59dOapcx3WAxb9N9hcEbV2hO\n";

/*
 * Each input is written to a file, signed, and imported into an in-memory
 * hub. An input that does not start as gzip does (1f 8b) is a JSON document,
 * gzipped here first, so that mutations reach the splitting of the
 * document and of its statements rather than only the inflating.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static relais_ctx *ctx;
	static relais_hub *hub;
	static relais_seckey *sec;
	static char path[64], sig_path[80];
	char key[RELAIS_HUB_KEY_HEX], secret[RELAIS_HUB_SECRET_HEX], *sig = NULL;
	unsigned char *z = NULL;
	size_t stored = 0, known = 0, sig_len = 0;
	FILE *f;
	int rc;

	if (hub == NULL) {
		char dir[] = "/tmp/fuzz-import-XXXXXX";
		if (sodium_init() < 0 || relais_ctx_new(&ctx) != 0 ||
		    relais_hub_open(&hub, ctx, ":memory:") != 0 || mkdtemp(dir) == NULL ||
		    relais_hub_credentials_add(hub, ctx, "fuzz laptop", RELAIS_HUB_SCOPES_LAPTOP,
		                               key, secret) != 0 ||
		    relais_hub_laptop_key_add(hub, ctx, key, laptop_pub, strlen(laptop_pub)) != 0 ||
		    relais_seckey_parse(&sec, ctx, laptop_sec, strlen(laptop_sec), "fuzz key") !=
		            0) {
			abort();
		}
		(void)snprintf(path, sizeof(path), "%s/records.gz", dir);
		(void)snprintf(sig_path, sizeof(sig_path), "%s.minisig", path);
	}
	if (size < 2 || data[0] != 0x1f || data[1] != 0x8b) {
		if (relais_gzip(&z, &size, data, size, 1) != 0) {
			abort();
		}
		data = z;
	}
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0 ||
	    relais_sign(&sig, &sig_len, ctx, sec, data, size, "fuzz", "fuzz") != 0 ||
	    (f = fopen(sig_path, "wb")) == NULL || fwrite(sig, 1, sig_len, f) != sig_len ||
	    fclose(f) != 0) {
		abort();
	}
	free(sig);
	free(z);
	rc = relais_hub_import(&stored, &known, hub, ctx, path, NULL);
	if (rc != 0 && (relais_errmsg(ctx)[0] == '\0' || stored != 0 || known != 0)) {
		abort(); /* a refused file says why and stores nothing */
	}
	return 0;
}
