#include "main/config.h"
#include "util/bits.h"

MachineConfig *machine_config_new(void)
{
    MachineConfig *cfg = g_new0(MachineConfig, 1);
    cfg->machine_type = g_strdup("pc-i440fx-7.2");
    cfg->accel = ACCEL_KVM;
    cfg->cpu_model = g_strdup("qemu64");
    cfg->cpu_flags = g_ptr_array_new_with_free_func(g_free);
    cfg->ram_size = TERN_DEFAULT_RAM;
    cfg->panic_action = "shutdown";
    cfg->watchdog_action = "reset";
    cfg->smp_cpus = 1;
    cfg->sockets = cfg->dies = cfg->cores = cfg->threads = 1;
    cfg->max_cpus = 1;
    cfg->serials = g_ptr_array_new_with_free_func(g_free);
    cfg->chardevs = g_ptr_array_new_with_free_func((GDestroyNotify)opts_free);
    cfg->devices = g_ptr_array_new_with_free_func((GDestroyNotify)opts_free);
    cfg->drives = g_ptr_array_new_with_free_func(g_free);
    cfg->blockdevs = g_ptr_array_new_with_free_func(g_free);
    cfg->monitors = g_ptr_array_new_with_free_func((GDestroyNotify)opts_free);
    cfg->rtc_base_epoch = -1;
    cfg->hpet = true;            /* QEMU's pc has one */
    cfg->boot_splash_time = -1;
    cfg->boot_reboot_timeout = -1;
    return cfg;
}

void machine_config_free(MachineConfig *cfg)
{
    if (!cfg) {
        return;
    }
    g_free(cfg->machine_type);
    g_free(cfg->cpu_model);
    g_ptr_array_unref(cfg->cpu_flags);
    g_free(cfg->kernel);
    g_free(cfg->bios);
    g_free(cfg->initrd);
    g_free(cfg->append);
    g_free(cfg->name);
    g_ptr_array_unref(cfg->serials);
    g_ptr_array_unref(cfg->chardevs);
    g_ptr_array_unref(cfg->devices);
    g_ptr_array_unref(cfg->drives);
    g_ptr_array_unref(cfg->blockdevs);
    g_ptr_array_unref(cfg->monitors);
    g_free(cfg->pidfile);
    g_free(cfg->logfile);
    g_free(cfg->boot_order);
    g_free(cfg->boot_once);
    g_free(cfg->qtest_chardev);
    g_free(cfg->qtest_log);
    g_free(cfg);
}

unsigned machine_config_apic_id(const MachineConfig *cfg, unsigned index)
{
    unsigned thread = index % cfg->threads;
    unsigned core = (index / cfg->threads) % cfg->cores;
    unsigned die = (index / (cfg->threads * cfg->cores)) % cfg->dies;
    unsigned socket = index / (cfg->threads * cfg->cores * cfg->dies);
    unsigned tb = bits_for_count(cfg->threads), cb = bits_for_count(cfg->cores);
    unsigned db = bits_for_count(cfg->dies);
    return ((((socket << db) | die) << cb | core) << tb) | thread;
}
