#include "util/timer.h"

struct TernTimer {
    TernTimerList *list;
    TernTimerFn fn;
    void *opaque;
    int64_t expire;
    bool pending;
};

void tern_timer_list_init(TernTimerList *l, TernClock *clock)
{
    l->clock = clock;
    l->active = NULL;
    l->notify = NULL;
    l->notify_opaque = NULL;
}

void tern_timer_list_destroy(TernTimerList *l)
{
    /* Timers belong to their devices, which free them. */
    g_list_free(l->active);
    l->active = NULL;
}

TernTimer *tern_timer_new(TernTimerList *l, TernTimerFn fn, void *opaque)
{
    TernTimer *t = g_new0(TernTimer, 1);
    t->list = l;
    t->fn = fn;
    t->opaque = opaque;
    return t;
}

void tern_timer_free(TernTimer *t)
{
    if (t) {
        tern_timer_del(t);
        g_free(t);
    }
}

static gint by_deadline(gconstpointer a, gconstpointer b)
{
    const TernTimer *x = a, *y = b;
    return x->expire < y->expire ? -1 : x->expire > y->expire;
}

void tern_timer_mod(TernTimer *t, int64_t expire_ns)
{
    tern_timer_del(t);
    t->expire = expire_ns;
    t->pending = true;
    t->list->active = g_list_insert_sorted(t->list->active, t, by_deadline);
    if (t->list->active->data == t && t->list->notify) {
        t->list->notify(t->list->notify_opaque);
    }
}

void tern_timer_del(TernTimer *t)
{
    if (t->pending) {
        t->list->active = g_list_remove(t->list->active, t);
        t->pending = false;
    }
}

bool tern_timer_pending(const TernTimer *t)
{
    return t->pending;
}

int64_t tern_timer_expire(const TernTimer *t)
{
    return t->expire;
}

int64_t tern_timer_list_deadline(const TernTimerList *l)
{
    return l->active ? ((TernTimer *)l->active->data)->expire : -1;
}

void tern_timer_list_run(TernTimerList *l, int64_t now)
{
    while (l->active && ((TernTimer *)l->active->data)->expire <= now) {
        TernTimer *t = l->active->data;
        l->active = g_list_delete_link(l->active, l->active);
        t->pending = false;
        t->fn(t->opaque);
    }
}

void tern_timer_list_advance(TernTimerList *l, int64_t target_ns)
{
    for (;;) {
        int64_t next = tern_timer_list_deadline(l);
        if (next < 0 || next > target_ns) {
            break;
        }
        if (next > tern_clock_virtual_ns(l->clock)) {
            tern_clock_set(l->clock, next);
        }
        tern_timer_list_run(l, tern_clock_virtual_ns(l->clock));
    }
    tern_clock_set(l->clock, target_ns);
}
