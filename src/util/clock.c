#include "util/clock.h"

#include <glib.h>

void tern_clock_init(TernClock *c)
{
    int64_t now = g_get_monotonic_time() * 1000;
    c->offset = now;
    c->stopped_at = now;
    c->wall_base_ns = g_get_real_time() * 1000;
}

int64_t tern_clock_virtual_ns(const TernClock *c)
{
    if (c->manual) {
        return c->manual_ns;
    }
    int64_t now = c->stopped_at >= 0 ? c->stopped_at : g_get_monotonic_time() * 1000;
    return now - c->offset;
}

void tern_clock_stop(TernClock *c)
{
    if (c->stopped_at < 0) {
        c->stopped_at = g_get_monotonic_time() * 1000;
    }
}

void tern_clock_start(TernClock *c)
{
    if (c->stopped_at >= 0) {
        c->offset += g_get_monotonic_time() * 1000 - c->stopped_at;
        c->stopped_at = -1;
    }
}

int64_t tern_clock_wall_base_ns(const TernClock *c)
{
    return c->wall_base_ns;
}

void tern_clock_set_manual(TernClock *c)
{
    c->manual = true;
    c->manual_ns = 0;
}

void tern_clock_set(TernClock *c, int64_t ns)
{
    c->manual_ns = ns;
}
