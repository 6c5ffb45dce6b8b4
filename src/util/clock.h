/* Guest-visible time. Devices read time only from here: in KVM mode the
 * virtual clock follows the host's monotonic clock minus the time the VM
 * spent stopped; the wall-clock base is taken once at start so an RTC can
 * be set, stepped and migrated. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

typedef struct TernClock {
    int64_t stopped_at;    /* host monotonic ns when stopped, or -1 */
    int64_t offset;        /* subtracted from host monotonic time */
    int64_t wall_base_ns;  /* host realtime at virtual time 0 */
    /* qtest: the clock moves only when told (clock_step/clock_set). */
    bool manual;
    int64_t manual_ns;
} TernClock;

void tern_clock_init(TernClock *c);
int64_t tern_clock_virtual_ns(const TernClock *c);
void tern_clock_stop(TernClock *c);
void tern_clock_start(TernClock *c);
/* Manual mode (qtest): virtual time is what tern_clock_set() said last,
 * starting at 0; stop/start do nothing. */
void tern_clock_set_manual(TernClock *c);
void tern_clock_set(TernClock *c, int64_t ns);
/* Wall-clock time (ns since the epoch) that corresponds to virtual time 0. */
int64_t tern_clock_wall_base_ns(const TernClock *c);
