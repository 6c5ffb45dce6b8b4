#include "harness.h"

#include <stdarg.h>

static void doorbell_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Harness *h = opaque;
    if (off == 0) {
        h->doorbells++;
        h->last_doorbell = val;
        if (h->hook) {
            h->hook(h, val);
        }
    } else if (off == 0x10) {
        if ((uint32_t)val != (uint32_t)h->data_writes) {
            h->data_mismatches++;
        }
        h->data_writes++;
    }
}

static const TernRegionOps doorbell_ops = { .write = doorbell_write };

const char *payload_path(const char *name)
{
    static char path[4096];
    const char *dir = g_getenv("TERN_PAYLOAD_DIR");
    g_assert_nonnull(dir);
    g_snprintf(path, sizeof(path), "%s/%s.elf", dir, name);
    return path;
}

Harness *harness_new(const char *payload, const char *append, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)"tern");
    const char *base[] = { "-M", "pc", "-m", "256", "-nodefaults", "-no-reboot",
                           "-kernel", payload_path(payload) };
    for (guint i = 0; i < G_N_ELEMENTS(base); i++) {
        g_ptr_array_add(argv, (char *)base[i]);
    }
    if (append) {
        g_ptr_array_add(argv, (char *)"-append");
        g_ptr_array_add(argv, (char *)append);
    }
    va_list ap;
    va_start(ap, append);
    for (const char *a; (a = va_arg(ap, const char *));) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);

    Harness *h = g_new0(Harness, 1);
    h->cfg = machine_config_new();
    g_autoptr(GError) err = NULL;
    bool exit_now;
    g_assert_true(options_parse(h->cfg, argv->len - 1, (char **)argv->pdata, &exit_now, &err));
    h->m = machine_new(h->cfg, &err);
    g_assert_no_error(err);
    g_mutex_lock(&h->m->lock);
    g_assert_true(machine_map_mmio(h->m, "doorbell", DOORBELL_ADDR, 0x1000, &doorbell_ops, h,
                                   &err));
    g_mutex_unlock(&h->m->lock);
    return h;
}

int harness_run(Harness *h)
{
    machine_start(h->m);
    return machine_run_loop(h->m);
}

uint64_t harness_read_u64(Harness *h, uint64_t gpa)
{
    uint64_t v = 0;
    g_assert_true(guest_ram_read(&h->m->ram, gpa, &v, sizeof(v)));
    return v;
}

void harness_free(Harness *h)
{
    machine_free(h->m);
    machine_config_free(h->cfg);
    g_free(h);
}
