/* -daemonize: the parent returns only once the child is fully set up
 * (sockets listening, pidfile written), with the child's verdict. */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef struct Daemon {
    int ready_fd;   /* child's end of the pipe, -1 when not daemonizing */
} Daemon;

/* Forks; in the parent this waits and exits. */
bool daemonize_start(Daemon *d, GError **errp);
/* Child: set-up finished; detach stdio and release the parent. */
void daemonize_done(Daemon *d);
bool pidfile_write(const char *path, GError **errp);
