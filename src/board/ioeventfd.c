/* ioeventfds: KVM signals an eventfd on a guest write; a GSource on the
 * machine's context reads it and runs the handler (machine lock held, as
 * for every main-loop dispatch). */
#define G_LOG_DOMAIN "tern-virtio"
#include "board/ioeventfd.h"
#include "board/pc.h"
#include "util/error.h"

#include <glib-unix.h>

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct IoEventFd {
    Machine *m;
    int fd;
    bool pio, datamatch;
    uint64_t addr, data;
    unsigned len;
    GSource *source;
    void (*handler)(void *opaque);
    void *opaque;
};

bool ioeventfd_available(Machine *m)
{
    return m->has_kvm;
}

/* Reads the counter: true if the guest wrote since the last read. */
static bool ioeventfd_consume(IoEventFd *e)
{
    uint64_t n;
    return read(e->fd, &n, sizeof(n)) == sizeof(n) && n;
}

static gboolean ioeventfd_dispatch(gint fd, GIOCondition cond, gpointer opaque)
{
    IoEventFd *e = opaque;
    (void)fd;
    (void)cond;
    if (ioeventfd_consume(e)) {
        e->handler(e->opaque);
    }
    return G_SOURCE_CONTINUE;
}

IoEventFd *ioeventfd_new(Machine *m, bool pio, uint64_t addr, unsigned len, bool datamatch,
                         uint64_t data, void (*handler)(void *opaque), void *opaque,
                         GError **errp)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "eventfd: %s", strerror(errno));
        return NULL;
    }
    if (!kvm_vm_ioeventfd(&m->kvm, fd, addr, len, pio, datamatch, data, true, errp)) {
        close(fd);
        return NULL;
    }
    IoEventFd *e = g_new0(IoEventFd, 1);
    *e = (IoEventFd){ .m = m, .fd = fd, .pio = pio, .datamatch = datamatch, .addr = addr,
                      .data = data, .len = len, .handler = handler, .opaque = opaque };
    e->source = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(e->source, (GSourceFunc)(void (*)(void))ioeventfd_dispatch, e, NULL);
    /* GLib blocks a non-recursive source while it dispatches by taking its
     * fd out of the poll set and putting it back, and each change writes
     * the context's wakeup fd: two syscalls and an extra loop iteration per
     * kick. Nothing here re-enters the main loop, so allow "recursion". */
    g_source_set_can_recurse(e->source, TRUE);
    g_source_attach(e->source, m->ctx);
    return e;
}

void ioeventfd_free(IoEventFd *e, bool run_pending)
{
    if (!e) {
        return;
    }
    g_autoptr(GError) err = NULL;
    if (!kvm_vm_ioeventfd(&e->m->kvm, e->fd, e->addr, e->len, e->pio, e->datamatch, e->data,
                          false, &err)) {
        g_warning("%s", err->message);
    }
    /* A kick that arrived before the deassign still counts, unless the
     * caller is tearing down what the handler would touch. */
    if (run_pending && ioeventfd_consume(e)) {
        e->handler(e->opaque);
    }
    g_source_destroy(e->source);
    g_source_unref(e->source);
    close(e->fd);
    g_free(e);
}
