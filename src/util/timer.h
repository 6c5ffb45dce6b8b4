/* Timers on the virtual clock (TernClock): a device arms a timer for a
 * virtual-time deadline and its callback runs on the main loop, with the
 * machine lock held, once virtual time reaches it. In KVM mode the main
 * loop sleeps until the earliest deadline; in qtest mode time advances
 * only through clock_step/clock_set, which run the due timers in
 * deadline order with the clock set to each deadline, so device behaviour
 * is exactly reproducible. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/clock.h"

typedef struct TernTimer TernTimer;
typedef void (*TernTimerFn)(void *opaque);

typedef struct TernTimerList {
    TernClock *clock;
    GList *active;           /* TernTimer, sorted by deadline */
    /* Called when a new earliest deadline appears, so that a main loop
     * sleeping until the old one (a vCPU thread armed the timer during an
     * exit) recomputes its timeout. */
    void (*notify)(void *opaque);
    void *notify_opaque;
} TernTimerList;

void tern_timer_list_init(TernTimerList *l, TernClock *clock);
void tern_timer_list_destroy(TernTimerList *l);

TernTimer *tern_timer_new(TernTimerList *l, TernTimerFn fn, void *opaque);
void tern_timer_free(TernTimer *t);
/* Arms (or re-arms) the timer for virtual time expire_ns. */
void tern_timer_mod(TernTimer *t, int64_t expire_ns);
void tern_timer_del(TernTimer *t);
bool tern_timer_pending(const TernTimer *t);
int64_t tern_timer_expire(const TernTimer *t);

/* Earliest deadline, or -1 if no timer is armed. */
int64_t tern_timer_list_deadline(const TernTimerList *l);
/* Runs every timer whose deadline is <= now (callbacks may re-arm). */
void tern_timer_list_run(TernTimerList *l, int64_t now);
/* Manual clocks: moves virtual time to target, running due timers in
 * deadline order with the clock at each deadline. */
void tern_timer_list_advance(TernTimerList *l, int64_t target_ns);
