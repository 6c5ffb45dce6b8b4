/* Descriptors clients pass to QMP (getfd, add-fd), for the code that
 * opens files or sockets on their behalf. */
#pragma once
#include <glib.h>

#include "monitor/qmp-dispatch.h"

/* Takes the descriptor getfd stored under name on mon; the caller owns it
 * and the name is gone, as with QEMU's fd=NAME parameters. */
int qmp_fd_take_named(Monitor *mon, const char *name, GError **errp);

/* Opens path "/dev/fdset/N": a duplicate (close-on-exec) of the newest
 * descriptor of set N whose access mode (O_RDONLY/O_WRONLY/O_RDWR) is the
 * one flags ask for. Close it with qmp_fdset_close(). */
int qmp_fdset_open(MonitorSet *set, const char *path, int flags, GError **errp);
void qmp_fdset_close(MonitorSet *set, int fd);

/* Closes what remove-fd released and, when no client is connected, every
 * set nothing has open; QEMU 7.2 does this only while the VM runs.
 * For monitor.c, when a client disconnects. */
void qmp_fdsets_cleanup(MonitorSet *set);
