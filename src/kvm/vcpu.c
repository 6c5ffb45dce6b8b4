#define G_LOG_DOMAIN "tern-kvm"
#include "kvm/vcpu.h"
#include "util/error.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define KICK_SIGNAL SIGUSR1
#define RUN_ON_TIMEOUT_MS 2000

static void kick_handler(int sig)
{
    /* Only here to make KVM_RUN return EINTR. */
}

VcpuSet *vcpus_create(KvmVm *vm, unsigned n, const uint32_t *vcpu_ids, const VcpuHooks *hooks,
                      bool debug_threads, GError **errp)
{
    if (vm->max_vcpus > 0 && n > (unsigned)vm->max_vcpus) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Number of SMP cpus requested (%u) exceeds the maximum cpus supported by KVM (%d)",
                    n, vm->max_vcpus);
        return NULL;
    }
    struct sigaction sa = { .sa_handler = kick_handler };
    sigemptyset(&sa.sa_mask);
    sigaction(KICK_SIGNAL, &sa, NULL);

    VcpuSet *set = g_new0(VcpuSet, 1);
    set->vm = vm;
    set->n = n;
    set->hooks = *hooks;
    set->debug_threads = debug_threads;
    set->cpus = g_new0(Vcpu, n);
    g_mutex_init(&set->lock);
    g_cond_init(&set->cond);
    for (unsigned i = 0; i < n; i++) {
        Vcpu *cpu = &set->cpus[i];
        cpu->index = i;
        cpu->set = set;
        cpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)vcpu_ids[i]);
        if (cpu->fd < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_CREATE_VCPU %u: %s", i,
                        g_strerror(errno));
            goto fail;
        }
        cpu->run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                        cpu->fd, 0);
        if (cpu->run == MAP_FAILED) {
            cpu->run = NULL;
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "mmap vCPU %u: %s", i,
                        g_strerror(errno));
            goto fail;
        }
    }
    return set;
fail:
    vcpus_destroy(set);
    return NULL;
}

static const char *exit_reason_name(uint32_t r)
{
    switch (r) {
    case KVM_EXIT_UNKNOWN: return "unknown";
    case KVM_EXIT_EXCEPTION: return "exception";
    case KVM_EXIT_HYPERCALL: return "hypercall";
    case KVM_EXIT_DEBUG: return "debug";
    case KVM_EXIT_FAIL_ENTRY: return "fail-entry";
    case KVM_EXIT_NMI: return "nmi";
    case KVM_EXIT_INTERNAL_ERROR: return "internal-error";
    default: return "other";
    }
}

static void report_internal_error(Vcpu *cpu)
{
    struct kvm_run *run = cpu->run;
    if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
        fprintf(stderr, "KVM internal error. Suberror: %u\n", run->internal.suberror);
        for (uint32_t i = 0; i < run->internal.ndata && i < 16; i++) {
            fprintf(stderr, "extra data[%u]: 0x%016llx\n", i,
                    (unsigned long long)run->internal.data[i]);
        }
        if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
            fprintf(stderr, "emulation failure\n");
        }
    } else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
        fprintf(stderr, "KVM: entry failed, hardware error 0x%llx\n",
                (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    } else {
        fprintf(stderr, "KVM: unhandled exit %u (%s)\n", run->exit_reason,
                exit_reason_name(run->exit_reason));
    }
    vcpu_dump_state(cpu, stderr);
}

static void dump_seg(FILE *out, const char *name, const struct kvm_segment *s)
{
    fprintf(out, "%-3s=%04x %016llx %08x %02x%s%s%s\n", name, s->selector,
            (unsigned long long)s->base, s->limit, s->type, s->present ? " P" : "",
            s->l ? " L" : "", s->db ? " DB" : "");
}

void vcpu_dump_state(Vcpu *cpu, FILE *out)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(cpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(cpu->fd, KVM_GET_SREGS, &s) < 0) {
        fprintf(out, "CPU#%u: cannot read registers: %s\n", cpu->index, g_strerror(errno));
        return;
    }
    fprintf(out, "CPU#%u\n", cpu->index);
    fprintf(out, "RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n",
            r.rax, r.rbx, r.rcx, r.rdx);
    fprintf(out, "RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n",
            r.rsi, r.rdi, r.rbp, r.rsp);
    fprintf(out, "R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n", r.r8, r.r9, r.r10, r.r11);
    fprintf(out, "R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n", r.r12, r.r13, r.r14, r.r15);
    fprintf(out, "RIP=%016llx RFL=%08llx CPL=%u\n", r.rip, r.rflags, s.cs.dpl);
    dump_seg(out, "ES", &s.es);
    dump_seg(out, "CS", &s.cs);
    dump_seg(out, "SS", &s.ss);
    dump_seg(out, "DS", &s.ds);
    dump_seg(out, "FS", &s.fs);
    dump_seg(out, "GS", &s.gs);
    fprintf(out, "GDT=     %016llx %08x\n", s.gdt.base, s.gdt.limit);
    fprintf(out, "IDT=     %016llx %08x\n", s.idt.base, s.idt.limit);
    fprintf(out, "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx\n", s.cr0, s.cr2, s.cr3, s.cr4);
    fprintf(out, "EFER=%016llx APIC_BASE=%016llx\n", s.efer, s.apic_base);

    /* The instruction bytes at RIP, as QEMU's "Code=" line shows them. */
    uint64_t linear = s.cs.base + r.rip;
    if (!(s.efer & (1 << 10))) {
        linear &= 0xffffffffULL;
    }
    struct kvm_translation tr = { .linear_address = linear };
    uint8_t code[16];
    if (ioctl(cpu->fd, KVM_TRANSLATE, &tr) == 0 && tr.valid && cpu->set->hooks.read_mem &&
        cpu->set->hooks.read_mem(cpu->set->hooks.opaque, tr.physical_address, code,
                                 sizeof(code))) {
        fprintf(out, "Code=");
        for (unsigned i = 0; i < sizeof(code); i++) {
            fprintf(out, i == 0 ? "<%02x>" : " %02x", code[i]);
        }
        fprintf(out, "\n");
    } else {
        fprintf(out, "Code=??\n");
    }
    fflush(out);
}

static void handle_io(Vcpu *cpu)
{
    struct kvm_run *run = cpu->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    for (uint32_t i = 0; i < run->io.count; i++) {
        cpu->set->hooks.pio(cpu->set->hooks.opaque, run->io.port, data, run->io.size,
                            run->io.direction == KVM_EXIT_IO_OUT);
        data += run->io.size;
    }
}

/* Handles one exit. Returns an event to report, or -1 to keep running. */
static int handle_exit(Vcpu *cpu)
{
    struct kvm_run *run = cpu->run;
    cpu->exits++;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(cpu);
        return -1;
    case KVM_EXIT_MMIO:
        cpu->set->hooks.mmio(cpu->set->hooks.opaque, run->mmio.phys_addr, run->mmio.data,
                             run->mmio.len, run->mmio.is_write);
        return -1;
    case KVM_EXIT_HLT:
    case KVM_EXIT_IRQ_WINDOW_OPEN:
    case KVM_EXIT_INTR:
        return -1;
    case KVM_EXIT_SHUTDOWN:
        return VCPU_EVENT_TRIPLE_FAULT;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            return VCPU_EVENT_SYSTEM_SHUTDOWN;
        case KVM_SYSTEM_EVENT_RESET:
            return VCPU_EVENT_SYSTEM_RESET;
        default:
            fprintf(stderr, "KVM: system event %u\n", run->system_event.type);
            return VCPU_EVENT_INTERNAL_ERROR;
        }
    default:
        report_internal_error(cpu);
        return VCPU_EVENT_INTERNAL_ERROR;
    }
}

/* Under set->lock. Work is taken before parking, so a requester that saw
 * the vCPU unparked always gets its answer. */
static void run_pending_work(Vcpu *cpu)
{
    if (cpu->work_fn) {
        cpu->work_fn(cpu, cpu->work_opaque);
        cpu->work_fn = NULL;
        g_cond_broadcast(&cpu->set->cond);
    }
}

static gpointer vcpu_thread(gpointer opaque)
{
    Vcpu *cpu = opaque;
    VcpuSet *set = cpu->set;

    g_mutex_lock(&set->lock);
    cpu->tid = pthread_self();
    cpu->has_tid = true;
    cpu->thread_id = gettid();
    g_cond_broadcast(&set->cond);
    g_mutex_unlock(&set->lock);

    for (;;) {
        g_mutex_lock(&set->lock);
        run_pending_work(cpu);
        if (!set->running || set->quit || cpu->halted) {
            cpu->parked = true;
            set->n_parked++;
            g_cond_broadcast(&set->cond);
            while (!set->quit && (!set->running || cpu->halted)) {
                g_cond_wait(&set->cond, &set->lock);
            }
            cpu->parked = false;
            set->n_parked--;
            if (set->quit) {
                g_mutex_unlock(&set->lock);
                break;
            }
            cpu->run->immediate_exit = 0;
        }
        g_mutex_unlock(&set->lock);

        int r = ioctl(cpu->fd, KVM_RUN, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                /* A kick: loop round to see why. */
                g_mutex_lock(&set->lock);
                if (set->running && !set->quit) {
                    cpu->run->immediate_exit = 0;
                }
                g_mutex_unlock(&set->lock);
                continue;
            }
            fprintf(stderr, "KVM_RUN failed on CPU#%u: %s\n", cpu->index, g_strerror(errno));
            vcpu_dump_state(cpu, stderr);
            r = VCPU_EVENT_INTERNAL_ERROR;
        } else {
            r = handle_exit(cpu);
        }
        if (r >= 0) {
            g_mutex_lock(&set->lock);
            cpu->halted = true;
            g_mutex_unlock(&set->lock);
            set->hooks.event(set->hooks.opaque, cpu->index, (VcpuEvent)r);
        }
    }
    return NULL;
}

bool vcpus_start_threads(VcpuSet *set, GError **errp)
{
    /* Threads must not take the process's termination signals: glib's
     * handler for those runs on the main loop. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (unsigned i = 0; i < set->n; i++) {
        g_autofree char *name = set->debug_threads ? g_strdup_printf("CPU %u/KVM", i)
                                                   : g_strdup("vcpu");
        set->cpus[i].thread = g_thread_try_new(name, vcpu_thread, &set->cpus[i], errp);
        if (!set->cpus[i].thread) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            return false;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return true;
}

int vcpu_thread_id(Vcpu *cpu)
{
    /* Waited for here rather than at start-up, which stays fast. */
    VcpuSet *set = cpu->set;
    g_mutex_lock(&set->lock);
    while (cpu->thread && !cpu->has_tid) {
        g_cond_wait(&set->cond, &set->lock);
    }
    int id = cpu->thread_id;
    g_mutex_unlock(&set->lock);
    return id;
}

void vcpus_resume(VcpuSet *set)
{
    g_mutex_lock(&set->lock);
    set->running = true;
    g_cond_broadcast(&set->cond);
    g_mutex_unlock(&set->lock);
}

/* Under set->lock: makes the vCPU leave (or not enter) KVM_RUN. */
static void kick(Vcpu *cpu)
{
    if (!cpu->run) {
        return;
    }
    __atomic_store_n(&cpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (cpu->has_tid && !cpu->parked) {
        pthread_kill(cpu->tid, KICK_SIGNAL);
    }
}

static void kick_all(VcpuSet *set)
{
    for (unsigned i = 0; i < set->n; i++) {
        kick(&set->cpus[i]);
    }
}

bool vcpu_run_on(Vcpu *cpu, void (*fn)(Vcpu *cpu, void *opaque), void *opaque)
{
    VcpuSet *set = cpu->set;
    g_mutex_lock(&set->lock);
    if (!cpu->thread || cpu->parked || set->quit) {
        /* Parked threads only wake with set->lock, which we hold. */
        fn(cpu, opaque);
        g_mutex_unlock(&set->lock);
        return true;
    }
    g_assert(!cpu->work_fn);
    cpu->work_fn = fn;
    cpu->work_opaque = opaque;
    gint64 deadline = g_get_monotonic_time() + RUN_ON_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
    while (cpu->work_fn) {
        kick(cpu);
        /* Re-kick now and then: the signal may have landed just before
         * the thread entered KVM_RUN with immediate_exit already cleared. */
        gint64 next = MIN(deadline, g_get_monotonic_time() + 10 * G_TIME_SPAN_MILLISECOND);
        if (!g_cond_wait_until(&set->cond, &set->lock, next) &&
            g_get_monotonic_time() >= deadline) {
            break;
        }
    }
    bool done = !cpu->work_fn;
    cpu->work_fn = NULL;
    g_mutex_unlock(&set->lock);
    return done;
}

typedef struct {
    int ret;
    int err;
} IoctlResult;

static void nmi_work(Vcpu *cpu, void *opaque)
{
    IoctlResult *r = opaque;
    r->ret = ioctl(cpu->fd, KVM_NMI);
    r->err = errno;
}

bool vcpu_inject_nmi(Vcpu *cpu, GError **errp)
{
    IoctlResult r = { 0 };
    if (!vcpu_run_on(cpu, nmi_work, &r)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "CPU#%u did not stop to take an NMI",
                    cpu->index);
        return false;
    }
    if (r.ret < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_NMI on CPU#%u: %s", cpu->index,
                    g_strerror(r.err));
        return false;
    }
    return true;
}

typedef struct {
    const uint64_t *gva;
    uint64_t *gpa;
    size_t n;
    int err;
} TranslateWork;

static void translate_work(Vcpu *cpu, void *opaque)
{
    TranslateWork *w = opaque;
    for (size_t i = 0; i < w->n; i++) {
        struct kvm_translation tr = { .linear_address = w->gva[i] };
        if (ioctl(cpu->fd, KVM_TRANSLATE, &tr) < 0) {
            w->err = errno;
            return;
        }
        w->gpa[i] = tr.valid ? tr.physical_address : UINT64_MAX;
    }
}

bool vcpu_translate(Vcpu *cpu, const uint64_t *gva, uint64_t *gpa, size_t n, GError **errp)
{
    TranslateWork w = { gva, gpa, n, 0 };
    if (!vcpu_run_on(cpu, translate_work, &w)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "CPU#%u did not stop to translate an address", cpu->index);
        return false;
    }
    if (w.err) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_TRANSLATE on CPU#%u: %s",
                    cpu->index, g_strerror(w.err));
        return false;
    }
    return true;
}

bool vcpus_pause(VcpuSet *set, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    unsigned started = 0;
    g_mutex_lock(&set->lock);
    set->running = false;
    for (unsigned i = 0; i < set->n; i++) {
        started += set->cpus[i].thread != NULL;
    }
    kick_all(set);
    while (set->n_parked < started) {
        /* Re-kick periodically: a thread may have been between the check
         * and KVM_RUN when the first signal arrived. */
        gint64 next = MIN(deadline, g_get_monotonic_time() + 10000);
        if (!g_cond_wait_until(&set->cond, &set->lock, next)) {
            if (g_get_monotonic_time() >= deadline) {
                g_mutex_unlock(&set->lock);
                return false;
            }
            kick_all(set);
        }
    }
    g_mutex_unlock(&set->lock);
    return true;
}

void vcpus_clear_halt(VcpuSet *set)
{
    g_mutex_lock(&set->lock);
    for (unsigned i = 0; i < set->n; i++) {
        set->cpus[i].halted = false;
    }
    g_cond_broadcast(&set->cond);
    g_mutex_unlock(&set->lock);
}

void vcpus_destroy(VcpuSet *set)
{
    if (!set) {
        return;
    }
    g_mutex_lock(&set->lock);
    set->quit = true;
    set->running = false;
    kick_all(set);
    g_cond_broadcast(&set->cond);
    g_mutex_unlock(&set->lock);
    for (unsigned i = 0; i < set->n; i++) {
        Vcpu *cpu = &set->cpus[i];
        if (cpu->thread) {
            /* A thread stuck in a device handler cannot be joined safely; the
             * bounded pause before destroy makes that a bug, not a hang. */
            g_thread_join(cpu->thread);
        }
        if (cpu->run) {
            munmap(cpu->run, set->vm->vcpu_mmap_size);
        }
        if (cpu->fd > 0) {
            close(cpu->fd);
        }
        g_free(cpu->reset_state);
    }
    g_mutex_clear(&set->lock);
    g_cond_clear(&set->cond);
    g_free(set->cpus);
    g_free(set);
}

void vcpus_stop_async(VcpuSet *set)
{
    g_mutex_lock(&set->lock);
    set->running = false;
    kick_all(set);
    g_mutex_unlock(&set->lock);
}

struct VcpuResetState {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_lapic_state lapic;
    struct kvm_mp_state mp_state;
};

/* Paravirtual MSRs that make KVM write into guest memory: a reset must
 * switch them off or the host keeps writing into the next boot's RAM. */
static const uint32_t pv_msrs[] = {
    0x4b564d00, /* MSR_KVM_WALL_CLOCK_NEW */
    0x4b564d01, /* MSR_KVM_SYSTEM_TIME_NEW */
    0x4b564d02, /* MSR_KVM_ASYNC_PF_EN */
    0x4b564d03, /* MSR_KVM_STEAL_TIME */
    0x4b564d04, /* MSR_KVM_PV_EOI_EN */
    0x11, 0x12, /* MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME */
};

bool vcpus_save_reset_state(VcpuSet *set, GError **errp)
{
    for (unsigned i = 0; i < set->n; i++) {
        Vcpu *cpu = &set->cpus[i];
        g_free(cpu->reset_state);
        cpu->reset_state = g_new0(struct VcpuResetState, 1);
        struct VcpuResetState *rs = cpu->reset_state;
        if (ioctl(cpu->fd, KVM_GET_REGS, &rs->regs) < 0 ||
            ioctl(cpu->fd, KVM_GET_SREGS, &rs->sregs) < 0 ||
            ioctl(cpu->fd, KVM_GET_FPU, &rs->fpu) < 0 ||
            ioctl(cpu->fd, KVM_GET_LAPIC, &rs->lapic) < 0 ||
            ioctl(cpu->fd, KVM_GET_MP_STATE, &rs->mp_state) < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "cannot save the reset state of CPU#%u: %s", i, g_strerror(errno));
            return false;
        }
    }
    return true;
}

bool vcpus_restore_reset_state(VcpuSet *set, GError **errp)
{
    for (unsigned i = 0; i < set->n; i++) {
        Vcpu *cpu = &set->cpus[i];
        struct VcpuResetState *rs = cpu->reset_state;
        struct {
            struct kvm_msrs hdr;
            struct kvm_msr_entry e[G_N_ELEMENTS(pv_msrs)];
        } msrs = { .hdr.nmsrs = 0 };
        for (guint k = 0; k < G_N_ELEMENTS(pv_msrs); k++) {
            msrs.e[msrs.hdr.nmsrs++] = (struct kvm_msr_entry){ .index = pv_msrs[k] };
        }
        if (!rs) {
            continue;
        }
        /* KVM_SET_MSRS stops at the first MSR it does not know; that is fine. */
        ioctl(cpu->fd, KVM_SET_MSRS, &msrs);
        if (ioctl(cpu->fd, KVM_SET_SREGS, &rs->sregs) < 0 ||
            ioctl(cpu->fd, KVM_SET_REGS, &rs->regs) < 0 ||
            ioctl(cpu->fd, KVM_SET_FPU, &rs->fpu) < 0 ||
            ioctl(cpu->fd, KVM_SET_LAPIC, &rs->lapic) < 0 ||
            ioctl(cpu->fd, KVM_SET_MP_STATE, &rs->mp_state) < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "cannot reset CPU#%u: %s", i, g_strerror(errno));
            return false;
        }
    }
    return true;
}

/* ---- Read-only register snapshot for the monitor (HMP "info registers") ---- */

/* The legacy FXSAVE image from KVM_GET_FPU, for hosts without XSAVE. */
static void fxsave_from_fpu(const struct kvm_fpu *f, uint8_t *area)
{
    memcpy(area + 0, &f->fcw, 2);
    memcpy(area + 2, &f->fsw, 2);
    area[4] = f->ftwx;
    memcpy(area + 6, &f->last_opcode, 2);
    memcpy(area + 8, &f->last_ip, 8);
    memcpy(area + 16, &f->last_dp, 8);
    memcpy(area + 24, &f->mxcsr, 4);
    memcpy(area + 32, f->fpr, sizeof(f->fpr));
    memcpy(area + 160, f->xmm, sizeof(f->xmm));
}

bool vcpu_get_registers(Vcpu *cpu, VcpuRegisters *r, GError **errp)
{
    memset(r, 0, sizeof(*r));
    if (ioctl(cpu->fd, KVM_GET_REGS, &r->regs) < 0 ||
        ioctl(cpu->fd, KVM_GET_SREGS, &r->sregs) < 0 ||
        ioctl(cpu->fd, KVM_GET_DEBUGREGS, &r->debugregs) < 0 ||
        ioctl(cpu->fd, KVM_GET_VCPU_EVENTS, &r->events) < 0 ||
        ioctl(cpu->fd, KVM_GET_MP_STATE, &r->mp_state) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "cannot read CPU#%u registers: %s",
                    cpu->index, g_strerror(errno));
        return false;
    }
    /* KVM_GET_XSAVE fails when the guest may use components beyond its
     * 4 KiB buffer (AMX); the FXSAVE part is then all we show. */
    struct kvm_xcrs xcrs = { 0 };
    r->xcr0 = 1;   /* x87 only, the reset value */
    if (ioctl(cpu->fd, KVM_GET_XCRS, &xcrs) == 0) {
        for (uint32_t i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++) {
            if (xcrs.xcrs[i].xcr == 0) {
                r->xcr0 = xcrs.xcrs[i].value;
            }
        }
    }
    r->has_xsave = ioctl(cpu->fd, KVM_GET_XSAVE, &r->xsave) == 0;
    if (!r->has_xsave) {
        struct kvm_fpu fpu;
        if (ioctl(cpu->fd, KVM_GET_FPU, &fpu) < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "cannot read CPU#%u registers: %s", cpu->index, g_strerror(errno));
            return false;
        }
        fxsave_from_fpu(&fpu, (uint8_t *)r->xsave.region);
        r->xcr0 &= 3;
    }
    return true;
}
