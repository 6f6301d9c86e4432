/* client.c: the sync client (being written). */
