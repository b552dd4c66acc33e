/* The campaign engine on the writer: the gate evaluator (on a timer and
 * soon after failures) and the operators' actions. Each runs inside a
 * write job; src/rollout makes every decision. */
#ifndef CORE_GATE_H
#define CORE_GATE_H

#include <stdint.h>

#include "db/db.h"

struct core;

/* Timer job (db_every; arg is the struct core): gate_run now. */
int gate_tick(struct db_tx *tx, void *core);
/* Inside a job: starts the drafts scheduled for now or earlier,
 * evaluates every running or paused campaign at now, and sweeps the
 * finished ones whose devices may still change state. */
int gate_run(struct db_tx *tx, struct core *s, int64_t now);
/* Evaluates one campaign now unless it was evaluated within the last
 * second (failures arrive in bursts); inside a job. */
int gate_soon(struct db_tx *tx, struct core *s, int64_t campaign, int64_t now);

struct gate_act {
	struct core *core;
	int64_t campaign;
	int action;			/* enum rollout_action */
	const char *actor;
	int64_t now;
	int64_t start_at;		/* start: later than now schedules it */
	/* out */
	char code[32];			/* with DB_INVALID: the error code */
	char why[512];			/* what made it impossible */
	int64_t members;		/* devices taken in by start */
};
/* Write job: start, pause, resume, advance or abort. A start with
 * start_at after now schedules the draft instead (an event "scheduled";
 * gate_run starts it then, with the same checks, or unschedules it with
 * an event "start_refused" saying why). DB_NOTFOUND, DB_CONFLICT
 * (impossible now; why says so), DB_INVALID (start on a revoked or
 * expired release, or with no device to update: code and why say
 * which). */
int gate_act(struct db_tx *tx, void *arg);

/* Inside the revoke's job: halts the running and paused campaigns of the
 * release with an event release_revoked naming actor, and tells the
 * other daemons to drop the release from their offers. */
int gate_release_revoked(struct db_tx *tx, struct core *s, int64_t release,
    const char *actor, int64_t now);

#endif
