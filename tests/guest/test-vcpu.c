/* vCPU, memory and run-state behaviour, proved with guest payloads running
 * in an in-process machine (tests/guest/payloads/README.md documents them). */
#include "harness.h"

#include <string.h>

/* /vcpu/mmio/exits: every CPL3 MMIO write reaches the device, in order. */
static void test_mmio_exits(void)
{
    Harness *h = harness_new("mmio-exits", "n=20000", NULL);
    g_assert_cmpint(harness_run(h), ==, 0);
    g_assert_cmpuint(h->data_writes, ==, 20000);
    g_assert_cmpuint(h->data_mismatches, ==, 0);
    g_assert_cmpuint(h->doorbells, ==, 2);
    g_assert_cmpuint(h->last_doorbell, ==, 2);
    harness_free(h);
}

/* /vcpu/cpl3/loop: the payload's loop completes and reports its count. */
static void test_cpl3_loop(void)
{
    Harness *h = harness_new("cpl3-loop", "n=100000000", NULL);
    g_assert_cmpint(harness_run(h), ==, 0);
    g_assert_cmphex(harness_read_u64(h, RESULTS_ADDR), ==, 100000000);
    g_assert_cmphex(harness_read_u64(h, RESULTS_ADDR + 8), ==, 100000000);
    g_assert_cmphex(harness_read_u64(h, RESULTS_ADDR + 0x10), ==, 0x454e4f44);
    harness_free(h);
}

/* ---- dirty logging ---- */

typedef struct {
    unsigned long *bitmap;
    size_t words;
    bool synced;
} DirtyCtx;

static void dirty_hook(Harness *h, uint32_t value)
{
    DirtyCtx *c = h->opaque;
    g_autoptr(GError) err = NULL;
    if (value == 1) {
        /* Ready: start logging now; everything before is not counted. */
        g_assert_true(guest_ram_set_dirty_logging(&h->m->ram, true, &err));
        g_assert_true(guest_ram_sync_dirty(&h->m->ram, 0, c->bitmap, &err));
    } else if (value == 2) {
        g_assert_true(guest_ram_sync_dirty(&h->m->ram, 0, c->bitmap, &err));
        c->synced = true;
    }
}

static void check_dirty(const char *append, uint64_t start, uint64_t end, uint64_t stride)
{
    Harness *h = harness_new("dirty", append, NULL);
    DirtyCtx c = { 0 };
    uint64_t pages = ram_slot_pages(&h->m->ram.slots[0]);
    c.words = (pages + 63) / 64;
    c.bitmap = g_new0(unsigned long, c.words);
    h->hook = dirty_hook;
    h->opaque = &c;
    g_assert_cmpint(harness_run(h), ==, 0);
    g_assert_true(c.synced);

    uint64_t expected = 0, unexpected = 0, missing = 0;
    for (uint64_t p = 0; p < pages; p++) {
        uint64_t addr = p * 4096;
        bool want = addr >= start && addr < end && (addr - start) % stride == 0;
        bool got = c.bitmap[p / 64] & (1UL << (p % 64));
        expected += want;
        if (got && !want) {
            unexpected++;
            g_test_message("unexpected dirty page 0x%" G_GINT64_MODIFIER "x", addr);
        }
        missing += want && !got;
    }
    g_assert_cmpuint(expected, ==, harness_read_u64(h, RESULTS_ADDR + 0x18));
    g_assert_cmpuint(missing, ==, 0);
    g_assert_cmpuint(unexpected, ==, 0);
    g_free(c.bitmap);
    harness_free(h);
}

/* /memory/dirty-log/exact: the log holds exactly the pages the guest wrote. */
static void test_dirty_exact(void)
{
    check_dirty(NULL, 16 << 20, 32 << 20, 0x3000);
}

static void test_dirty_dense(void)
{
    check_dirty("start=0x2000000 end=0x2400000 stride=0x1000", 0x2000000, 0x2400000, 0x1000);
}

/* /memory/dirty-log/tern-writes: pages Tern writes are reported too. */
static void test_dirty_tern_writes(void)
{
    g_autoptr(GError) err = NULL;
    GuestRam ram;
    g_assert_true(guest_ram_init(&ram, 64 << 20, 64 << 20, &err));
    unsigned long bitmap[(64 << 20) / 4096 / 64];
    g_assert_true(guest_ram_set_dirty_logging(&ram, true, &err));
    uint32_t v = 0x1234;
    g_assert_true(guest_ram_write(&ram, 0x3000, &v, sizeof(v)));
    g_assert_true(guest_ram_write(&ram, 0x4ffe, &v, sizeof(v)));   /* spans 2 pages */
    g_assert_true(guest_ram_sync_dirty(&ram, 0, bitmap, &err));
    g_assert_cmphex(bitmap[0], ==, (1UL << 3) | (1UL << 4) | (1UL << 5));
    g_assert_true(guest_ram_sync_dirty(&ram, 0, bitmap, &err));
    g_assert_cmphex(bitmap[0], ==, 0);
    guest_ram_destroy(&ram);
}

/* ---- pause/resume ---- */

#define SLOTS 512
#define COUNTER_MAGIC 0x544e554f43ULL

typedef struct {
    Harness *h;
    int rounds;
    uint64_t last;
    gint64 deadline;
    bool failed;
} PauseCtx;

static void check_counter_invariant(Harness *h, uint64_t c)
{
    for (uint64_t j = c > SLOTS - 1 ? c - (SLOTS - 1) : 0; j < c; j++) {
        uint64_t slot = harness_read_u64(h, RESULTS_ADDR + 0x100 + (j % SLOTS) * 8);
        if (slot != j) {
            g_error("slot[%" G_GUINT64_FORMAT "] = %" G_GUINT64_FORMAT " after C=%"
                    G_GUINT64_FORMAT ": work lost or repeated", j % SLOTS, slot, c);
        }
    }
}

/* Runs on the main loop with the machine lock held. */
static gboolean pause_step(gpointer opaque)
{
    PauseCtx *p = opaque;
    Machine *m = p->h->m;
    uint64_t c = harness_read_u64(p->h, RESULTS_ADDR);
    if (g_get_monotonic_time() > p->deadline) {
        p->failed = true;
        machine_quit(m, 1);
        return G_SOURCE_REMOVE;
    }
    /* Let the guest make real progress between pauses. */
    if (c < p->last + 1000000) {
        return G_SOURCE_CONTINUE;
    }
    g_assert_true(machine_pause(m, RUN_STATE_PAUSED));
    uint64_t c1 = harness_read_u64(p->h, RESULTS_ADDR);
    g_assert_cmpuint(c1, >=, c);
    check_counter_invariant(p->h, c1);
    /* Stopped means stopped: nothing moves while paused. */
    for (int i = 0; i < 1000; i++) {
        g_assert_cmpuint(harness_read_u64(p->h, RESULTS_ADDR), ==, c1);
    }
    g_assert_cmpint(m->state, ==, RUN_STATE_PAUSED);
    p->last = c1;
    if (++p->rounds == 10) {
        machine_quit(m, 0);
        return G_SOURCE_REMOVE;
    }
    g_assert_true(machine_resume(m, NULL));
    return G_SOURCE_CONTINUE;
}

/* /vcpu/pause-resume/no-lost-work */
static void test_pause_resume(void)
{
    Harness *h = harness_new("counter", NULL, NULL);
    PauseCtx p = { .h = h, .deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC };
    g_idle_add(pause_step, &p);
    g_assert_cmpint(harness_run(h), ==, 0);
    g_assert_false(p.failed);
    g_assert_cmpuint(harness_read_u64(h, RESULTS_ADDR + 8), ==, COUNTER_MAGIC);
    g_assert_cmpint(p.rounds, ==, 10);
    g_assert_cmpuint(p.last, >=, 10 * 1000000ULL);
    harness_free(h);
}

/* /vcpu/start-paused: with -S nothing runs until resumed. */
static gboolean check_prelaunch(gpointer opaque)
{
    Harness *h = opaque;
    g_assert_cmpint(h->m->state, ==, RUN_STATE_PRELAUNCH);
    g_assert_cmpuint(h->doorbells, ==, 0);
    g_assert_true(machine_resume(h->m, NULL));
    return G_SOURCE_REMOVE;
}

static void test_start_paused(void)
{
    Harness *h = harness_new("mmio-exits", "n=10", "-S", NULL);
    g_idle_add(check_prelaunch, h);
    g_assert_cmpint(harness_run(h), ==, 0);
    g_assert_cmpuint(h->data_writes, ==, 10);
    harness_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_file_test("/dev/kvm", G_FILE_TEST_EXISTS)) {
        g_test_skip("no /dev/kvm");
        return g_test_run();
    }
    g_test_add_func("/vcpu/mmio/exits", test_mmio_exits);
    g_test_add_func("/vcpu/cpl3/loop", test_cpl3_loop);
    g_test_add_func("/vcpu/start-paused", test_start_paused);
    g_test_add_func("/vcpu/pause-resume/no-lost-work", test_pause_resume);
    g_test_add_func("/memory/dirty-log/exact", test_dirty_exact);
    g_test_add_func("/memory/dirty-log/dense", test_dirty_dense);
    g_test_add_func("/memory/dirty-log/tern-writes", test_dirty_tern_writes);
    return g_test_run();
}
