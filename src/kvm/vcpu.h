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
    VcpuSet *set;
    bool parked;         /* outside KVM_RUN, waiting (under set->lock) */
    bool halted;         /* stopped after an event, until reset */
    uint64_t exits;      /* exits handled, for statistics */
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

/* Records each vCPU's current state as its reset state (call after boot
 * set-up, before the first run), and puts it back on a machine reset. */
bool vcpus_save_reset_state(VcpuSet *set, GError **errp);
bool vcpus_restore_reset_state(VcpuSet *set, GError **errp);
