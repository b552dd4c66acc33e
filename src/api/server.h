/* The daemon's shared state, built by main and read by every handler. */
#ifndef API_SERVER_H
#define API_SERVER_H

#include <stdint.h>

#include "api/config.h"

struct db;
struct http_server;
struct trust;
struct seen;
struct offers;
struct campaigns;
struct fio;

struct srv {
	struct cfg cfg;
	struct db *db;
	struct http_server *http;
	struct trust *trust;		/* online key and current root */
	struct seen *seen;		/* coalesced last-seen updates */
	struct offers *offers;		/* release cache */
	struct campaigns *campaigns;	/* live campaigns, for polls */
	struct fio *fio;		/* upload I/O thread */
	char artifacts_dir[CFG_PATH_MAX];
	char tmp_dir[CFG_PATH_MAX];
};

#endif
