#define G_LOG_DOMAIN "tern-board"
#include "board/pc.h"
#include "board/acpi.h"
#include "board/pc-bios.h"
#include "board/fw-cfg-kernel.h"
#include "board/fw-cfg.h"
#include "board/boot-cpu.h"
#include "board/e820.h"
#include "board/mptable.h"
#include "kvm/cpuid.h"
#include "util/error.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define PAUSE_TIMEOUT_MS 5000

static const uint16_t serial_iobase[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
static const uint8_t serial_irq[] = { 4, 3, 4, 3 };

/* ---- vCPU exit hooks (vCPU threads) ---- */

static uint64_t bytes_to_value(const uint8_t *data, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, data, MIN(size, 8u));
    return v;
}

static void pio_hook(void *opaque, uint16_t port, uint8_t *data, unsigned size, bool is_write)
{
    Machine *m = opaque;
    g_mutex_lock(&m->lock);
    if (is_write) {
        address_space_write(m->pio, port, bytes_to_value(data, size), size);
    } else {
        uint64_t v;
        address_space_read(m->pio, port, &v, size);
        memcpy(data, &v, size);
    }
    g_mutex_unlock(&m->lock);
}

static void mmio_hook(void *opaque, uint64_t addr, uint8_t *data, unsigned size, bool is_write)
{
    Machine *m = opaque;
    g_mutex_lock(&m->lock);
    if (is_write) {
        address_space_write(m->mmio, addr, bytes_to_value(data, size), size);
    } else {
        uint64_t v;
        address_space_read(m->mmio, addr, &v, size);
        memcpy(data, &v, MIN(size, 8u));
    }
    g_mutex_unlock(&m->lock);
}

static void event_hook(void *opaque, unsigned cpu, VcpuEvent ev)
{
    Machine *m = opaque;
    switch (ev) {
    case VCPU_EVENT_TRIPLE_FAULT:
    case VCPU_EVENT_SYSTEM_RESET:
        machine_request_reset(m, SHUTDOWN_CAUSE_GUEST_RESET);
        break;
    case VCPU_EVENT_SYSTEM_SHUTDOWN:
        machine_request_shutdown(m, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
        break;
    case VCPU_EVENT_INTERNAL_ERROR:
        __atomic_store_n(&m->pending_error, 1, __ATOMIC_SEQ_CST);
        g_main_context_wakeup(m->ctx);
        break;
    }
}

static bool read_mem_hook(void *opaque, uint64_t gpa, void *buf, unsigned len)
{
    Machine *m = opaque;
    return guest_ram_read(&m->ram, gpa, buf, len);
}

/* The GSI router behind every ISA line (see Machine.gsi_levels). */
void machine_set_gsi(Machine *m, unsigned gsi, int level)
{
    g_assert(gsi < PC_GSI_PINS);
    if (level) {
        m->gsi_levels |= 1u << gsi;
    } else {
        m->gsi_levels &= ~(1u << gsi);
    }
    if (m->gsi_observer) {
        m->gsi_observer(m->gsi_observer_opaque, gsi, level);
    }
    if (m->has_kvm) {
        kvm_vm_set_irq(&m->kvm, gsi, level);
    }
}

static bool isa_irq_gated(Machine *m, int n)
{
    return m->hpet_legacy && (n == 0 || n == 8);
}

static void isa_irq_handler(void *opaque, int n, int level)
{
    Machine *m = opaque;
    m->isa_levels = level ? m->isa_levels | 1u << n : m->isa_levels & ~(1u << n);
    if (!isa_irq_gated(m, n)) {
        /* Shared with PCI INTx routed here: the line is their OR. */
        machine_set_gsi(m, n, level || (m->pci_irq_levels & 1u << n));
    }
}

void machine_set_pci_irq_levels(Machine *m, uint16_t levels)
{
    uint16_t changed = m->pci_irq_levels ^ levels;
    m->pci_irq_levels = levels;
    for (int n = 0; n < PC_ISA_IRQS; n++) {
        if (changed & 1u << n) {
            bool isa = !isa_irq_gated(m, n) && (m->isa_levels & 1u << n);
            machine_set_gsi(m, n, isa || (levels & 1u << n));
        }
    }
}

void machine_send_msi(Machine *m, uint64_t addr, uint32_t data)
{
    if (m->has_kvm) {
        kvm_signal_msi(&m->kvm, addr, data);
        return;
    }
    uint8_t le[4] = { data, data >> 8, data >> 16, data >> 24 };
    /* Not RAM (the APIC's 0xfee00000 window): nobody to deliver to. */
    guest_ram_write(&m->ram, addr, le, sizeof(le));
}

void machine_set_hpet_legacy(Machine *m, bool on)
{
    if (m->hpet_legacy == on) {
        return;
    }
    /* Gated lines that were up go down (QEMU lowers IRQ 0 and 8 here). */
    for (int n = 0; on && n < PC_ISA_IRQS; n += 8) {
        if (m->isa_levels & 1u << n) {
            machine_set_gsi(m, n, 0);
        }
    }
    m->hpet_legacy = on;
    if (m->has_kvm) {
        kvm_vm_set_pit_hpet_legacy(&m->kvm, on);
    }
    /* Back on: the devices' lines as they stand now. */
    for (int n = 0; !on && n < PC_ISA_IRQS; n += 8) {
        if (m->isa_levels & 1u << n) {
            machine_set_gsi(m, n, 1);
        }
    }
}

/* ---- services for devices ---- */

bool machine_map_pio(Machine *m, const char *name, uint64_t base, uint64_t size,
                     const TernRegionOps *ops, void *opaque, GError **errp)
{
    if (base + size > 0x10000) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "%s: I/O ports 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
                    "x are beyond 0xffff", name, base, size);
        return false;
    }
    return address_space_add(m->pio, name, base, size, ops, opaque, errp);
}

bool machine_map_mmio(Machine *m, const char *name, uint64_t base, uint64_t size,
                      const TernRegionOps *ops, void *opaque, GError **errp)
{
    return address_space_add(m->mmio, name, base, size, ops, opaque, errp);
}

const TernIrq *machine_isa_irq(Machine *m, unsigned n)
{
    g_assert(n < PC_ISA_IRQS);
    return &m->isa_irq[n];
}

Chardev *machine_find_chardev(Machine *m, const char *id)
{
    for (guint i = 0; i < m->chardevs->len; i++) {
        Chardev *c = g_ptr_array_index(m->chardevs, i);
        if (!strcmp(c->id, id)) {
            return c;
        }
    }
    return NULL;
}

void machine_add_device(Machine *m, DeviceState *dev)
{
    g_ptr_array_add(m->devices, dev);
}

DeviceState *machine_find_device(Machine *m, const char *id)
{
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        if (d->id && !strcmp(d->id, id)) {
            return d;
        }
    }
    return NULL;
}

void machine_add_observer(Machine *m, const MachineObserver *obs)
{
    g_array_append_val(m->observers, *obs);
}

void machine_remove_observer(Machine *m, void *opaque)
{
    for (guint i = m->observers->len; i-- > 0;) {
        if (g_array_index(m->observers, MachineObserver, i).opaque == opaque) {
            g_array_remove_index(m->observers, i);
        }
    }
}

#define NOTIFY(m, fn, ...)                                                   \
    for (guint i_ = 0; i_ < (m)->observers->len; i_++) {                     \
        MachineObserver *o_ = &g_array_index((m)->observers, MachineObserver, i_); \
        if (o_->fn) {                                                        \
            o_->fn(o_->opaque, __VA_ARGS__);                                 \
        }                                                                    \
    }

void machine_powerdown(Machine *m)
{
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        if (d->info->power_button) {
            d->info->power_button(d);
        }
    }
    machine_emit_event(m, "POWERDOWN", NULL);
}

void machine_emit_event(Machine *m, const char *name, JsonObject *data)
{
    NOTIFY(m, event, name, data);
    if (data) {
        json_object_unref(data);
    }
}

void machine_set_state(Machine *m, RunState s)
{
    RunState old = m->state;
    if (old == s) {
        return;
    }
    m->state = s;
    NOTIFY(m, state_changed, old, s);
}

/* C-a x on a mon:stdio console: QEMU ends as on a host signal. */
static void mux_quit(void *opaque)
{
    machine_request_shutdown(opaque, SHUTDOWN_CAUSE_HOST_SIGNAL);
}

/* ---- building the board ---- */

static bool create_board_devices(Machine *m, GError **errp)
{
    /* The PCI host bridge and ISA bridge first, as QEMU creates them. */
    if (!device_create_simple(m, "i440FX", errp, NULL) ||
        !device_create_simple(m, "PIIX3", errp, NULL)) {
        return false;
    }
    for (guint i = 0; i < m->cfg->serials->len; i++) {
        const char *chr = g_ptr_array_index(m->cfg->serials, i);
        if (!*chr) {
            continue;   /* -serial none */
        }
        if (!machine_find_chardev(m, chr)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "-serial chardev:%s: chardev '%s' not found", chr, chr);
            return false;
        }
        g_autofree char *base = g_strdup_printf("0x%x", serial_iobase[i]);
        g_autofree char *irq = g_strdup_printf("%u", serial_irq[i]);
        g_autofree char *index = g_strdup_printf("%u", i);
        if (!device_create_simple(m, "isa-serial", errp, "iobase", base, "irq", irq,
                                  "chardev", chr, "index", index, NULL)) {
            return false;
        }
    }
    /* POST-code port: writes are a delay idiom, nothing to emulate. */
    static const TernRegionOps sink_ops = { 0 };
    if (!machine_map_pio(m, "ioport80", 0x80, 1, &sink_ops, NULL, errp)) {
        return false;
    }
    return device_create_simple(m, "i8042", errp, NULL) &&
           device_create_simple(m, "port92", errp, NULL) &&
           device_create_simple(m, "mc146818rtc", errp, NULL) &&
           (m->has_kvm || device_create_simple(m, "isa-pit", errp, NULL)) &&   /* else KVM's PIT */
           (!m->cfg->hpet || device_create_simple(m, "hpet", errp, NULL)) &&
           device_create_simple(m, "piix3-ide", errp, NULL) &&
           device_create_simple(m, "PIIX4_PM", errp, NULL) &&
           device_create_simple(m, "fw_cfg_io", errp, NULL);
}

static bool load_boot_image(Machine *m, GError **errp)
{
    MachineConfig *cfg = m->cfg;
    if (!cfg->kernel) {
        if (cfg->initrd) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-initrd cannot be used without -kernel");
            return false;
        }
        if (cfg->append) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-append only allowed with -kernel option");
            return false;
        }
        return true;
    }
    if (m->bios) {
        return fw_cfg_load_kernel(m, errp);   /* the firmware loads it */
    }
    BootParams p = { .kernel = cfg->kernel, .initrd = cfg->initrd, .cmdline = cfg->append,
                     .ncpus = cfg->smp_cpus };
    if (!loader_load_kernel(&m->boot, &m->ram, &p, errp) ||
        !boot_cpu_prepare_tables(&m->boot, &m->ram, errp)) {
        return false;
    }
    /* What a PC BIOS leaves behind: the BDA's EBDA segment and base memory
     * size, ACPI tables and the MP table. */
    uint16_t bda[2] = { E820_EBDA_START >> 4 };
    uint16_t basemem = E820_EBDA_START / 1024;
    g_autoptr(GByteArray) mp = mptable_build(cfg->smp_cpus, m->apic_ids, MPTABLE_ADDR);
    g_autoptr(GByteArray) acpi = machine_acpi_tables(m, ACPI_TABLES_ADDR, false);
    g_assert(ACPI_TABLES_ADDR + acpi->len <= MPTABLE_ADDR);
    return boot_image_add(&m->boot, &m->ram, ACPI_TABLES_ADDR, acpi->data, acpi->len,
                          "ACPI tables", errp) &&
           boot_image_add(&m->boot, &m->ram, 0x40e, bda, 2, "BIOS data area", errp) &&
           boot_image_add(&m->boot, &m->ram, 0x413, &basemem, 2, "BIOS data area", errp) &&
           boot_image_add(&m->boot, &m->ram, MPTABLE_ADDR, mp->data, mp->len, "MP table", errp);
}

/* At reset an x86 CPU holds its signature (CPUID leaf 1 EAX) in EDX, as
 * QEMU's info registers shows; KVM leaves 0x600 there. */
static bool set_reset_signature(int fd, const struct kvm_cpuid2 *c, GError **errp)
{
    uint32_t signature = 0;
    for (uint32_t i = 0; i < c->nent; i++) {
        if (c->entries[i].function == 1) {
            signature = c->entries[i].eax;
        }
    }
    struct kvm_regs regs;
    if (ioctl(fd, KVM_GET_REGS, &regs) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_GET_REGS: %s", g_strerror(errno));
        return false;
    }
    regs.rdx = signature;
    if (ioctl(fd, KVM_SET_REGS, &regs) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_SET_REGS: %s", g_strerror(errno));
        return false;
    }
    return true;
}

static bool create_vcpus(Machine *m, GError **errp)
{
    MachineConfig *cfg = m->cfg;
    bool tsc_deadline = kvm_check_extension(&m->kvm, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    m->cpuid = cpuid_build(m->kvm.supported_cpuid, cfg->cpu_model, cfg->cpu_flags, tsc_deadline,
                           errp);
    if (!m->cpuid) {
        g_prefix_error(errp, "-cpu %s: ", cfg->cpu_model);
        return false;
    }
    VcpuHooks hooks = { .pio = pio_hook, .mmio = mmio_hook, .event = event_hook,
                        .read_mem = read_mem_hook, .opaque = m };
    m->vcpus = vcpus_create(&m->kvm, cfg->smp_cpus, m->apic_ids, &hooks, cfg->debug_threads,
                            errp);
    if (!m->vcpus) {
        return false;
    }
    for (unsigned i = 0; i < cfg->smp_cpus; i++) {
        int fd = m->vcpus->cpus[i].fd;
        CpuTopology topo = { cfg->threads, cfg->cores, cfg->dies };
        g_autofree struct kvm_cpuid2 *c = cpuid_for_vcpu(m->cpuid, m->apic_ids[i], &topo);
        if (ioctl(fd, KVM_SET_CPUID2, c) < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_SET_CPUID2: %s",
                        g_strerror(errno));
            return false;
        }
        if (!set_reset_signature(fd, c, errp) || !boot_cpu_setup_common(fd, errp)) {
            return false;
        }
    }
    if (!boot_cpu_setup_bsp(m->vcpus->cpus[0].fd, &m->boot, errp)) {
        return false;
    }
    return vcpus_save_reset_state(m->vcpus, errp) && vcpus_start_threads(m->vcpus, errp);
}

/* A vCPU thread armed a timer earlier than the main loop's poll timeout. */
static void timers_notify(void *opaque)
{
    Machine *m = opaque;
    g_main_context_wakeup(m->ctx);
}

typedef struct MainLoopCall {
    void (*fn)(void *data);
    void *data;
    GDestroyNotify free;
} MainLoopCall;

static gboolean main_loop_call(gpointer opaque)
{
    MainLoopCall *c = opaque;
    c->fn(c->data);   /* the main loop holds the machine lock */
    return G_SOURCE_REMOVE;
}

static void main_loop_call_free(gpointer opaque)
{
    MainLoopCall *c = opaque;
    if (c->free) {
        c->free(c->data);
    }
    g_free(c);
}

void machine_run_on_main_loop(Machine *m, void (*fn)(void *data), void *data,
                              GDestroyNotify free_data)
{
    if (g_main_context_is_owner(m->ctx)) {
        fn(data);
        if (free_data) {
            free_data(data);
        }
        return;
    }
    MainLoopCall *c = g_new(MainLoopCall, 1);
    *c = (MainLoopCall){ fn, data, free_data };
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_HIGH);
    g_source_set_callback(src, main_loop_call, c, main_loop_call_free);
    g_source_attach(src, m->ctx);
    g_source_unref(src);
}

/* ---- the block graph's hooks ---- */

/* Errors can surface on a vCPU thread (a device reset drains its
 * requests there): the event and the pause are then the main loop's job,
 * as QEMU only requests a stop from a vCPU. */
typedef struct BlockHookCall {
    Machine *m;
    char *event;          /* NULL: the stop */
    JsonObject *data;
} BlockHookCall;

static void block_hook_run(void *opaque)
{
    BlockHookCall *c = opaque;
    if (c->event) {
        machine_emit_event(c->m, c->event, g_steal_pointer(&c->data));
    } else if (runstate_is_running(c->m->state)) {
        machine_pause(c->m, RUN_STATE_IO_ERROR);
    }
}

static void block_hook_call_free(void *opaque)
{
    BlockHookCall *c = opaque;
    g_free(c->event);
    if (c->data) {
        json_object_unref(c->data);
    }
    g_free(c);
}

static void block_hook(Machine *m, const char *event, JsonObject *data)
{
    BlockHookCall *c = g_new0(BlockHookCall, 1);
    *c = (BlockHookCall){ m, g_strdup(event), data };
    machine_run_on_main_loop(m, block_hook_run, c, block_hook_call_free);
}

static void block_event_hook(void *opaque, const char *name, JsonObject *data)
{
    block_hook(opaque, name, data);
}

static void block_stop_hook(void *opaque)
{
    block_hook(opaque, NULL, NULL);
}

/* -blockdev first, then -drive, as QEMU opens them. if=virtio drives are
 * the board's to attach (in backend order); other buses do not exist. */
/* qtest mode: throttling follows clock_step, as on QEMU. */
static int64_t block_virtual_now(void *opaque)
{
    return tern_clock_virtual_ns(&((Machine *)opaque)->clock);
}

static bool create_block_graph(Machine *m, GError **errp)
{
    BlockGraphHooks hooks = { block_event_hook, block_stop_hook, m };
    m->virtio_drives = g_ptr_array_new_with_free_func(g_free);
    m->block = block_graph_new(m->ctx, &hooks);
    if (m->cfg->accel == ACCEL_QTEST) {
        block_graph_set_clock(m->block, block_virtual_now, m);
    }
    for (guint i = 0; i < m->cfg->blockdevs->len; i++) {
        const char *arg = g_ptr_array_index(m->cfg->blockdevs, i);
        if (!block_graph_add_blockdev_str(m->block, arg, errp)) {
            g_prefix_error(errp, "-blockdev %s: ", arg);
            return false;
        }
    }
    for (guint i = 0; i < m->cfg->drives->len; i++) {
        const char *arg = g_ptr_array_index(m->cfg->drives, i);
        g_autofree char *if_name = NULL;
        BlockBackend *blk = block_graph_add_drive(m->block, arg, &if_name, errp);
        if (!blk) {
            g_prefix_error(errp, "-drive %s: ", arg);
            return false;
        }
        if (if_name && !strcmp(if_name, "virtio")) {
            g_ptr_array_add(m->virtio_drives, g_strdup(blk_name(blk)));
        }
        if (if_name && strcmp(if_name, "virtio")) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "-drive %s: if=%s is not supported (use if=virtio, or if=none with -device)",
                        arg, if_name);
            return false;
        }
    }
    return true;
}

/* -drive if=virtio: a virtio-blk-pci per drive, after the -device ones
 * and in command-line order, as QEMU adds them (anonymous devices). */
static bool create_virtio_drives(Machine *m, GError **errp)
{
    for (guint i = 0; i < m->virtio_drives->len; i++) {
        const char *name = g_ptr_array_index(m->virtio_drives, i);
        g_autofree char *arg = g_strdup_printf("virtio-blk-pci,drive=%s", name);
        g_autoptr(TernOpts) o = opts_parse(arg, "driver", errp);
        if (!o || !device_create(m, o, true, errp)) {
            g_prefix_error(errp, "-drive if=virtio (%s): ", name);
            return false;
        }
    }
    return true;
}

Machine *machine_new(MachineConfig *cfg, GError **errp)
{
    Machine *m = g_new0(Machine, 1);
    m->cfg = cfg;
    g_mutex_init(&m->lock);
    m->ctx = g_main_context_ref(g_main_context_default());
    m->state = RUN_STATE_PRELAUNCH;
    tern_clock_init(&m->clock);
    if (cfg->accel == ACCEL_QTEST) {
        tern_clock_set_manual(&m->clock);   /* time is the test's: 0 until clock_step */
    }
    tern_timer_list_init(&m->timers, &m->clock);
    m->timers.notify = timers_notify;
    m->timers.notify_opaque = m;
    m->pio = address_space_new("I/O");
    m->mmio = address_space_new("memory");
    m->devices = g_ptr_array_new();
    m->chardevs = g_ptr_array_new();
    m->observers = g_array_new(FALSE, TRUE, sizeof(MachineObserver));
    boot_image_init(&m->boot);
    m->kvm.kvm_fd = m->kvm.vm_fd = -1;
    m->apic_ids = g_new(uint32_t, MAX(cfg->smp_cpus, 1u));
    for (unsigned i = 0; i < cfg->smp_cpus; i++) {
        m->apic_ids[i] = machine_config_apic_id(cfg, i);
    }

    g_mutex_lock(&m->lock);
    for (guint i = 0; i < cfg->chardevs->len; i++) {
        Chardev *c = chardev_open(g_ptr_array_index(cfg->chardevs, i), m->ctx, errp);
        if (!c) {
            goto fail;
        }
        g_ptr_array_add(m->chardevs, c);
        c->mux_quit = mux_quit;
        c->mux_quit_opaque = m;
    }
    if (!create_block_graph(m, errp)) {
        goto fail;
    }
    if (!strcmp(cfg->machine_type, "none")) {
        g_mutex_unlock(&m->lock);
        return m;
    }

    /* Like QEMU's i440FX: with 3.5 GiB or more, RAM below 4 GiB stops at
     * 3 GiB (gigabyte alignment) and the rest moves above 4 GiB. */
    uint64_t below = cfg->ram_size >= PC_PCI_HOLE_START ? 0xc0000000ULL : cfg->ram_size;
    if (cfg->accel == ACCEL_QTEST) {
        /* No KVM at all: the test drives devices, RAM and time. */
        if (!guest_ram_init(&m->ram, cfg->ram_size, below, errp) ||
            (pc_bios_wanted(cfg) && !pc_bios_load(m, errp))) {
            goto fail;
        }
    } else {
        if (!kvm_vm_init(&m->kvm, g_getenv("TERN_KVM_DEVICE"), errp)) {
            g_prefix_error(errp, "-accel kvm: ");
            goto fail;
        }
        m->has_kvm = true;
        /* Slots go in before the irqchip: adding a slot to a VM that
         * already has one costs milliseconds on some hosts (measured 5-6 ms
         * vs 0.2 ms here). */
        if (!guest_ram_init(&m->ram, cfg->ram_size, below, errp) ||
            !guest_ram_register(&m->ram, &m->kvm, errp) ||
            (pc_bios_wanted(cfg) && !pc_bios_load(m, errp)) ||
            !kvm_vm_create_irqchip(&m->kvm, errp)) {
            goto fail;
        }
    }
    if (cfg->mem_lock && mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-overcommit mem-lock=on: mlockall: %s",
                    g_strerror(errno));
        goto fail;
    }
    for (unsigned i = 0; i < PC_ISA_IRQS; i++) {
        m->isa_irq[i] = (TernIrq){ isa_irq_handler, m, i };
    }
    if (!create_board_devices(m, errp)) {
        goto fail;
    }
    for (guint i = 0; i < cfg->devices->len; i++) {
        TernOpts *o = g_ptr_array_index(cfg->devices, i);
        if (!device_create(m, o, true, errp)) {
            g_prefix_error(errp, "-device %s: ", opts_source(o));
            goto fail;
        }
    }
    if (!create_virtio_drives(m, errp)) {
        goto fail;
    }
    FwCfgState *fw_cfg = fw_cfg_find(m);
    if (fw_cfg && !fw_cfg_add_acpi(fw_cfg, m, errp)) {
        goto fail;
    }
    if (!load_boot_image(m, errp)) {
        goto fail;
    }
    if (m->has_kvm) {
        pc_bios_stand_in(m);
        m->irqchip_reset = kvm_irqchip_save(&m->kvm);
        if (!create_vcpus(m, errp)) {
            goto fail;
        }
    }
    g_mutex_unlock(&m->lock);
    return m;

fail:
    g_mutex_unlock(&m->lock);
    machine_free(m);
    return NULL;
}

void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    if (m->vcpus) {
        vcpus_pause(m->vcpus, PAUSE_TIMEOUT_MS);
        vcpus_destroy(m->vcpus);
    }
    for (guint i = m->devices->len; i-- > 0;) {
        device_destroy(g_ptr_array_index(m->devices, i));
    }
    /* After the devices gave their backends back, before guest RAM goes:
     * the engines wait for I/O still writing into it. */
    block_graph_free(m->block);
    g_clear_pointer(&m->virtio_drives, g_ptr_array_unref);
    for (guint i = 0; i < m->chardevs->len; i++) {
        chardev_close(g_ptr_array_index(m->chardevs, i));
    }
    g_ptr_array_unref(m->devices);
    g_ptr_array_unref(m->chardevs);
    g_array_unref(m->observers);
    tern_timer_list_destroy(&m->timers);
    address_space_free(m->pio);
    address_space_free(m->mmio);
    boot_image_clear(&m->boot);
    if (m->bios) {
        g_bytes_unref(m->bios);
    }
    guest_ram_destroy(&m->ram);
    g_free(m->irqchip_reset);
    g_free(m->cpuid);
    g_free(m->apic_ids);
    if (m->has_kvm) {
        kvm_vm_destroy(&m->kvm);
    }
    g_main_context_unref(m->ctx);
    g_mutex_clear(&m->lock);
    g_free(m);
}

/* ---- run state (main loop, machine lock held) ---- */

static bool pause_vcpus(Machine *m)
{
    if (!m->vcpus) {
        return true;
    }
    /* vCPUs in an exit handler wait for the machine lock: drop it. */
    g_mutex_unlock(&m->lock);
    bool ok = vcpus_pause(m->vcpus, PAUSE_TIMEOUT_MS);
    g_mutex_lock(&m->lock);
    if (!ok) {
        g_warning("vCPUs did not stop within %u ms", PAUSE_TIMEOUT_MS);
    }
    return ok;
}

bool machine_pause(Machine *m, RunState new_state)
{
    bool ok = pause_vcpus(m);
    tern_clock_stop(&m->clock);
    machine_set_state(m, new_state);
    return ok;
}

bool machine_resume(Machine *m, GError **errp)
{
    if (m->state == RUN_STATE_INTERNAL_ERROR || m->state == RUN_STATE_SHUTDOWN ||
        m->state == RUN_STATE_GUEST_PANICKED) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Resetting the Virtual Machine is required");
        return false;
    }
    if (m->state == RUN_STATE_RUNNING) {
        return true;
    }
    if (!pc_bios_install(m, errp)) {
        return false;
    }
    tern_clock_start(&m->clock);
    machine_set_state(m, RUN_STATE_RUNNING);
    if (m->vcpus) {
        vcpus_resume(m->vcpus);
    }
    return true;
}

void machine_start(Machine *m)
{
    g_mutex_lock(&m->lock);
    if (!m->cfg->start_paused) {
        machine_resume(m, NULL);
    }
    g_mutex_unlock(&m->lock);
}

void machine_reset(Machine *m, ShutdownCause cause)
{
    RunState before = m->state;
    pause_vcpus(m);
    m->resets++;
    for (guint i = 0; i < m->devices->len; i++) {
        device_reset(g_ptr_array_index(m->devices, i));
    }
    if (m->has_kvm) {
        pc_bios_stand_in(m);
        boot_image_reinstall(&m->boot, &m->ram);
        kvm_irqchip_restore(&m->kvm, m->irqchip_reset);
        g_autoptr(GError) err = NULL;
        if (m->vcpus && !vcpus_restore_reset_state(m->vcpus, &err)) {
            fprintf(stderr, "tern: %s\n", err->message);
        }
    }
    if (m->vcpus) {
        vcpus_clear_halt(m->vcpus);
    }
    NOTIFY(m, reset, cause);
    /* As QEMU: a running VM runs on; any other (paused, shut down,
     * panicked, internal error) is back in prelaunch, waiting for cont. */
    if (before == RUN_STATE_RUNNING && m->vcpus) {
        m->state = RUN_STATE_PAUSED;
        machine_resume(m, NULL);
    } else if (before != RUN_STATE_RUNNING) {
        machine_set_state(m, RUN_STATE_PRELAUNCH);
    }
}

void machine_quit(Machine *m, int exit_code)
{
    m->quit = true;
    m->exit_code = exit_code;
    g_main_context_wakeup(m->ctx);
}

/* ---- requests from any thread ---- */

void machine_request_reset(Machine *m, ShutdownCause cause)
{
    __atomic_store_n(&m->pending_reset, (int)cause, __ATOMIC_SEQ_CST);
    g_main_context_wakeup(m->ctx);
}

void machine_request_shutdown(Machine *m, ShutdownCause cause)
{
    __atomic_store_n(&m->pending_shutdown, (int)cause, __ATOMIC_SEQ_CST);
    g_main_context_wakeup(m->ctx);
}

void machine_request_exit(Machine *m, int status)
{
    if (m->vcpus) {
        vcpus_stop_async(m->vcpus);
    }
    __atomic_store_n(&m->pending_exit, status + 1, __ATOMIC_SEQ_CST);
    g_main_context_wakeup(m->ctx);
}

void machine_request_panic(Machine *m)
{
    /* The panicking vCPU must not run on past the report (QEMU stops it
     * at once); "none" lets the guest continue. */
    if (m->vcpus && strcmp(m->cfg->panic_action, "none")) {
        vcpus_stop_async(m->vcpus);
    }
    __atomic_store_n(&m->pending_panic, 1, __ATOMIC_SEQ_CST);
    g_main_context_wakeup(m->ctx);
}

static void shutdown_now(Machine *m, ShutdownCause cause);

/* The guest reported a panic (pvpanic): GUEST_PANICKED, then what
 * -action panic= / set-action chose. */
static void guest_panicked(Machine *m)
{
    const char *action = m->cfg->panic_action;
    const char *reported = !strcmp(action, "pause") ? "pause"
                           : !strcmp(action, "none") ? "run" : "poweroff";
    JsonObject *data = json_object_new();
    json_object_set_string_member(data, "action", reported);
    machine_emit_event(m, "GUEST_PANICKED", data);
    if (!strcmp(action, "pause")) {
        machine_pause(m, RUN_STATE_GUEST_PANICKED);
    } else if (!strcmp(action, "shutdown")) {
        shutdown_now(m, SHUTDOWN_CAUSE_GUEST_PANIC);
    } else if (!strcmp(action, "exit-failure")) {
        pause_vcpus(m);
        machine_quit(m, 1);
    }
}

static void shutdown_now(Machine *m, ShutdownCause cause)
{
    NOTIFY(m, shutdown, cause);
    bool host = cause == SHUTDOWN_CAUSE_HOST_QMP_QUIT || cause == SHUTDOWN_CAUSE_HOST_SIGNAL;
    if (m->cfg->no_shutdown && !host) {
        machine_pause(m, RUN_STATE_SHUTDOWN);
        return;
    }
    /* Exiting: QEMU stops the VM on the way out without a STOP event. */
    pause_vcpus(m);
    tern_clock_stop(&m->clock);
    m->state = RUN_STATE_SHUTDOWN;
    machine_quit(m, 0);
}

void machine_shutdown(Machine *m, ShutdownCause cause)
{
    shutdown_now(m, cause);
}

static void process_requests(Machine *m)
{
    int v;
    /* A panic report comes first: the guest may exit right after it. */
    if (__atomic_exchange_n(&m->pending_panic, 0, __ATOMIC_SEQ_CST)) {
        guest_panicked(m);
    }
    if ((v = __atomic_exchange_n(&m->pending_exit, 0, __ATOMIC_SEQ_CST))) {
        pause_vcpus(m);
        machine_quit(m, v - 1);
        return;
    }
    if (__atomic_exchange_n(&m->pending_error, 0, __ATOMIC_SEQ_CST)) {
        machine_pause(m, RUN_STATE_INTERNAL_ERROR);
    }
    if ((v = __atomic_exchange_n(&m->pending_shutdown, 0, __ATOMIC_SEQ_CST))) {
        shutdown_now(m, (ShutdownCause)v);
        return;
    }
    if ((v = __atomic_exchange_n(&m->pending_reset, 0, __ATOMIC_SEQ_CST))) {
        if (m->cfg->no_reboot) {
            shutdown_now(m, (ShutdownCause)v);
        } else {
            machine_reset(m, (ShutdownCause)v);
        }
    }
}

/* How long to sleep, in ns (-1: until an fd is ready): no longer than
 * glib's timeout (ms) nor than the next device timer while virtual time
 * runs (qtest moves the clock itself; a stopped VM's clock stands still).
 * Nanoseconds, not glib's milliseconds: a 1024 Hz RTC would otherwise
 * fire up to a millisecond late and lose ticks. */
static int64_t poll_timeout_ns(Machine *m, gint timeout_ms)
{
    int64_t timeout = timeout_ms < 0 ? -1 : timeout_ms * (int64_t)1000000;
    int64_t deadline = tern_timer_list_deadline(&m->timers);
    if (m->clock.manual && deadline >= 0 && deadline <= tern_clock_virtual_ns(&m->clock)) {
        return 0;   /* armed in the past: runs now, as QEMU's main loop does */
    }
    if (deadline < 0 || m->clock.manual || m->clock.stopped_at >= 0) {
        return timeout;
    }
    int64_t left = MAX(deadline - tern_clock_virtual_ns(&m->clock), 0);
    return timeout < 0 ? left : MIN(timeout, left);
}

/* GPollFD is struct pollfd on Linux, so ppoll can sleep to the ns. */
G_STATIC_ASSERT(sizeof(GPollFD) == sizeof(struct pollfd));

static void poll_ns(GPollFD *fds, gint n, int64_t timeout_ns)
{
    struct timespec ts = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
    ppoll((struct pollfd *)fds, n, timeout_ns < 0 ? NULL : &ts, NULL);
}

int machine_run_loop(Machine *m)
{
    GMainContext *ctx = m->ctx;
    g_main_context_acquire(ctx);
    gint nfds = 16;
    GPollFD *fds = g_new(GPollFD, nfds);

    g_mutex_lock(&m->lock);
    for (;;) {
        process_requests(m);
        if (m->quit) {
            break;
        }
        gint prio, timeout, n;
        g_main_context_prepare(ctx, &prio);
        while ((n = g_main_context_query(ctx, prio, &timeout, fds, nfds)) > nfds) {
            nfds = n;
            fds = g_renew(GPollFD, fds, nfds);
        }
        int64_t timeout_ns = poll_timeout_ns(m, timeout);
        /* The machine lock is free while we sleep, so vCPUs can take it. */
        g_mutex_unlock(&m->lock);
        poll_ns(fds, n, timeout_ns);
        g_mutex_lock(&m->lock);
        if (g_main_context_check(ctx, prio, fds, n)) {
            g_main_context_dispatch(ctx);
        }
        /* A manual clock stands still here; due timers still run. */
        tern_timer_list_run(&m->timers, tern_clock_virtual_ns(&m->clock));
    }
    g_mutex_unlock(&m->lock);
    g_free(fds);
    g_main_context_release(ctx);
    return m->exit_code;
}
