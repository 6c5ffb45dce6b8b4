/* vCPUs: one thread each, looping in KVM_RUN. Exits are handed to the
 * board through VcpuHooks; the vCPU code knows nothing about devices.
 * Pausing sets immediate_exit and kicks each thread with a signal, then
 * waits (bounded) until every thread is parked outside KVM_RUN. */
#pragma once
#include <glib.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm.h"

typedef enum {
    VCPU_EVENT_TRIPLE_FAULT,     /* KVM_EXIT_SHUTDOWN: the guest reset itself */
    VCPU_EVENT_SYSTEM_RESET,
    VCPU_EVENT_SYSTEM_SHUTDOWN,
    VCPU_EVENT_INTERNAL_ERROR,   /* already reported on stderr */
} VcpuEvent;

typedef struct VcpuHooks {
    void (*pio)(void *opaque, uint16_t port, uint8_t *data, unsigned size, bool is_write);
    void (*mmio)(void *opaque, uint64_t addr, uint8_t *data, unsigned size, bool is_write);
    /* Called on the vCPU thread; the vCPU parks until vcpus_reset_cpu(). */
    void (*event)(void *opaque, unsigned cpu, VcpuEvent event);
    /* Reads guest memory for error reports; false if not RAM. */
    bool (*read_mem)(void *opaque, uint64_t gpa, void *buf, unsigned len);
    void *opaque;
} VcpuHooks;

typedef struct VcpuSet VcpuSet;

typedef struct Vcpu {
    unsigned index;
    int fd;
    struct kvm_run *run;
    GThread *thread;
    pthread_t tid;
    bool has_tid;
    int thread_id;       /* the kernel's id of the thread (gettid), for QMP */
    VcpuSet *set;
    bool parked;         /* outside KVM_RUN, waiting (under set->lock) */
    bool halted;         /* stopped after an event, until reset */
    uint64_t exits;      /* exits handled, for statistics */
    /* A request to run on this vCPU between two KVM_RUNs (vcpu_run_on). */
    void (*work_fn)(struct Vcpu *cpu, void *opaque);
    void *work_opaque;
    struct VcpuResetState *reset_state;
} Vcpu;

struct VcpuSet {
    KvmVm *vm;
    unsigned n;
    Vcpu *cpus;
    VcpuHooks hooks;
    GMutex lock;
    GCond cond;
    bool running;        /* false: threads park */
    bool quit;
    unsigned n_parked;
    bool debug_threads;
};

/* vcpu_ids[i] is vCPU i's KVM id, which KVM makes its initial APIC ID. */
VcpuSet *vcpus_create(KvmVm *vm, unsigned n, const uint32_t *vcpu_ids, const VcpuHooks *hooks,
                      bool debug_threads, GError **errp);
/* Starts the threads, parked. */
bool vcpus_start_threads(VcpuSet *set, GError **errp);
void vcpus_resume(VcpuSet *set);
/* Returns false if some vCPU did not park within timeout_ms. */
bool vcpus_pause(VcpuSet *set, unsigned timeout_ms);
void vcpus_clear_halt(VcpuSet *set);
void vcpus_destroy(VcpuSet *set);

/* Prints QEMU-style register dump of a (parked) vCPU to stderr. */
void vcpu_dump_state(Vcpu *cpu, FILE *out);

/* Asks every vCPU to park without waiting; safe from any thread,
 * including a vCPU's own (e.g. in a device handler). */
void vcpus_stop_async(VcpuSet *set);

/* Runs fn(cpu, opaque) where it cannot race with KVM_RUN (vCPU ioctls block
 * while the vCPU runs): at once if the vCPU is parked or has no thread,
 * otherwise on the vCPU's thread after a kick. Waits for it; the caller must
 * not hold a lock the vCPU's exit handlers take (the machine lock). False if
 * the vCPU did not get to it within a bound (fn then never runs). */
/* The vCPU thread's kernel id (gettid), once the thread has started. */
int vcpu_thread_id(Vcpu *cpu);

bool vcpu_run_on(Vcpu *cpu, void (*fn)(Vcpu *cpu, void *opaque), void *opaque);

/* KVM_NMI: queues an NMI on the vCPU (via vcpu_run_on). */
bool vcpu_inject_nmi(Vcpu *cpu, GError **errp);
/* KVM_TRANSLATE of n guest-linear addresses with the vCPU's current paging
 * state (via vcpu_run_on); gpa[i] is UINT64_MAX where nothing is mapped. */
bool vcpu_translate(Vcpu *cpu, const uint64_t *gva, uint64_t *gpa, size_t n, GError **errp);

/* Records each vCPU's current state as its reset state (call after boot
 * set-up, before the first run), and puts it back on a machine reset. */
bool vcpus_save_reset_state(VcpuSet *set, GError **errp);
bool vcpus_restore_reset_state(VcpuSet *set, GError **errp);

/* ---- Read-only register snapshot for the monitor (HMP "info registers") ---- */

typedef struct VcpuRegisters {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_debugregs debugregs;
    struct kvm_vcpu_events events;
    struct kvm_mp_state mp_state;
    /* FXSAVE image (first 512 bytes) and, when has_xsave, the extended
     * components in the standard (non-compacted) XSAVE layout. */
    struct kvm_xsave xsave;
    bool has_xsave;
    uint64_t xcr0;
} VcpuRegisters;

/* Reads the registers with plain ioctls: call it where KVM_RUN cannot
 * race, i.e. through vcpu_run_on() or on a parked vCPU. */
bool vcpu_get_registers(Vcpu *cpu, VcpuRegisters *r, GError **errp);
