/* Every route's handler, grouped by the file that holds it. */
#ifndef SERVER_HANDLERS_H
#define SERVER_HANDLERS_H

#include "server/api.h"

/* h_basic.c */
void h_healthz(struct api_req *a);
void h_metrics(struct api_req *a);
/* h_tokens.c */
void h_tokens_list(struct api_req *a);
void h_tokens_add(struct api_req *a);
void h_tokens_revoke(struct api_req *a);

#endif
