/* The daemon's shared state, built by main and read by every handler. */
#ifndef API_SERVER_H
#define API_SERVER_H

#include <stdint.h>

#include "api/config.h"
#include "core/core.h"
#include "util/version.h"

struct http_server;

/* The daemon's version: --version and /metrics' otad_build_info. */
#define OTAD_VERSION OTA_VERSION

struct srv {
	struct cfg cfg;
	struct core core;		/* the services handlers call */
	struct http_server *http;
	char artifacts_dir[CFG_PATH_MAX];
	char tmp_dir[CFG_PATH_MAX];
};

#endif
