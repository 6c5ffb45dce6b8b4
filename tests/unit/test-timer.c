/* Virtual-clock timers (src/util/timer.h) on a manual clock, as qtest
 * drives them: deadlines in order, the clock at each deadline while a
 * callback runs, re-arming from a callback, cancelling. */
#include <glib.h>

#include "util/timer.h"

typedef struct {
    TernTimerList *list;
    TernTimer *timer;
    GArray *seen;        /* virtual time of each callback */
    int64_t period;      /* re-arm by this much, 0 for one-shot */
} Probe;

static void probe_fire(void *opaque)
{
    Probe *p = opaque;
    int64_t now = tern_clock_virtual_ns(p->list->clock);
    g_array_append_val(p->seen, now);
    if (p->period) {
        tern_timer_mod(p->timer, tern_timer_expire(p->timer) + p->period);
    }
}

static void probe_init(Probe *p, TernTimerList *l, int64_t period)
{
    p->list = l;
    p->timer = tern_timer_new(l, probe_fire, p);
    p->seen = g_array_new(FALSE, FALSE, sizeof(int64_t));
    p->period = period;
}

static void probe_clear(Probe *p)
{
    tern_timer_free(p->timer);
    g_array_unref(p->seen);
}

static void test_order_and_clock(void)
{
    TernClock clock;
    tern_clock_init(&clock);
    tern_clock_set_manual(&clock);
    TernTimerList l;
    tern_timer_list_init(&l, &clock);
    Probe a, b;
    probe_init(&a, &l, 0);
    probe_init(&b, &l, 0);
    tern_timer_mod(a.timer, 300);
    tern_timer_mod(b.timer, 100);
    g_assert_cmpint(tern_timer_list_deadline(&l), ==, 100);

    tern_timer_list_advance(&l, 99);
    g_assert_cmpuint(a.seen->len + b.seen->len, ==, 0);
    g_assert_cmpint(tern_clock_virtual_ns(&clock), ==, 99);

    tern_timer_list_advance(&l, 1000);
    g_assert_cmpuint(b.seen->len, ==, 1);
    g_assert_cmpint(g_array_index(b.seen, int64_t, 0), ==, 100);
    g_assert_cmpuint(a.seen->len, ==, 1);
    g_assert_cmpint(g_array_index(a.seen, int64_t, 0), ==, 300);
    g_assert_cmpint(tern_clock_virtual_ns(&clock), ==, 1000);
    g_assert_cmpint(tern_timer_list_deadline(&l), ==, -1);
    probe_clear(&a);
    probe_clear(&b);
    tern_timer_list_destroy(&l);
}

static void test_periodic_and_del(void)
{
    TernClock clock;
    tern_clock_init(&clock);
    tern_clock_set_manual(&clock);
    TernTimerList l;
    tern_timer_list_init(&l, &clock);
    Probe p;
    probe_init(&p, &l, 250);
    tern_timer_mod(p.timer, 250);
    tern_timer_list_advance(&l, 1000);
    g_assert_cmpuint(p.seen->len, ==, 4);   /* 250, 500, 750, 1000 */
    g_assert_cmpint(g_array_index(p.seen, int64_t, 3), ==, 1000);
    g_assert_true(tern_timer_pending(p.timer));
    tern_timer_del(p.timer);
    tern_timer_list_advance(&l, 5000);
    g_assert_cmpuint(p.seen->len, ==, 4);
    g_assert_false(tern_timer_pending(p.timer));
    probe_clear(&p);
    tern_timer_list_destroy(&l);
}

static void test_run_due(void)
{
    TernClock clock;
    tern_clock_init(&clock);
    tern_clock_set_manual(&clock);
    TernTimerList l;
    tern_timer_list_init(&l, &clock);
    Probe p;
    probe_init(&p, &l, 0);
    tern_timer_mod(p.timer, 50);
    tern_timer_list_run(&l, 49);
    g_assert_cmpuint(p.seen->len, ==, 0);
    tern_clock_set(&clock, 60);
    tern_timer_list_run(&l, 60);
    g_assert_cmpuint(p.seen->len, ==, 1);
    probe_clear(&p);
    tern_timer_list_destroy(&l);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/timer/order-and-clock", test_order_and_clock);
    g_test_add_func("/timer/periodic-and-del", test_periodic_and_del);
    g_test_add_func("/timer/run-due", test_run_due);
    return g_test_run();
}
