/* Which daemon of a fleet runs what must run once: a thread looks at the
 * store's leadership lock (db/leader.h) every second, taking it when it
 * is free and checking it is still held when it is, and logs each
 * change. The jobs registered through leader_every run only while this
 * daemon leads; everything else (devices' polls and reports, admins'
 * calls, last-seen) runs on every daemon. */
#ifndef CORE_LEADER_H
#define CORE_LEADER_H

#include "db/db.h"

struct leader;

/* Starts the thread for the store at where (db_open's) and makes its
 * first look before returning (a lone daemon leads from its first
 * tick). NULL with err filled. Stop with leader_stop after db_close. */
struct leader *leader_start(const char *where, char *err, size_t errlen);
void leader_stop(struct leader *l);	/* NULL ok */
/* 1 while this daemon leads. Any thread; NULL (tests, one daemon): 1. */
int leader_is(const struct leader *l);
/* db_every for a job that must run once per fleet: on each tick fn runs
 * only if this daemon leads. 0/-1. */
int leader_every(struct db *db, struct leader *l, int interval_ms,
    db_write_fn fn, void *arg);

#endif
