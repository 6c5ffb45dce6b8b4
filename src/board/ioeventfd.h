/* Queue notifications without a trip through the device's register code:
 * with KVM, a guest write to a notify address signals an eventfd inside
 * the kernel (KVM_IOEVENTFD) and the vCPU resumes at once; the main loop
 * watches the eventfd and runs the handler under the machine lock.
 * Without KVM (qtest) there is nothing to register: the BAR's write
 * handler dispatches directly. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Machine Machine;
typedef struct IoEventFd IoEventFd;

/* True when ioeventfds can be registered (KVM). */
bool ioeventfd_available(Machine *m);
/* Registers a `len`-byte write to addr (port I/O when pio) that, if
 * datamatch, carries `data`; handler(opaque) runs on the main loop. */
IoEventFd *ioeventfd_new(Machine *m, bool pio, uint64_t addr, unsigned len, bool datamatch,
                         uint64_t data, void (*handler)(void *opaque), void *opaque,
                         GError **errp);
/* Deregisters. With run_pending, a notification already signalled is
 * handled first, so a kick is never lost when the address moves; without,
 * it is dropped (unplug, or a VM stop after which every queue is kicked
 * on resume). */
void ioeventfd_free(IoEventFd *e, bool run_pending);
