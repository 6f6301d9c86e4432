/* client.c: the sync client: outbox -> hub over libcurl (the rest is being written). */
#include <curl/curl.h>

#include "relais/error.h"
#include "relais/sync.h"

int relais_sync_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : RELAIS_ENOMEM;
}

void relais_sync_global_cleanup(void)
{
	curl_global_cleanup();
}
