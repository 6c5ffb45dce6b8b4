/* pty backend: a new pseudo-terminal; its name is printed the way QEMU
 * prints it, since scripts parse that line. */
#include "chardev/chardev.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

static bool pty_open(Chardev *chr, TernOpts *opts, GError **errp)
{
    int master, slave;
    char name[256];
    if (openpty(&master, &slave, name, NULL, NULL) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Failed to create PTY: %s", g_strerror(errno));
        return false;
    }
    struct termios tty;
    if (tcgetattr(slave, &tty) == 0) {
        cfmakeraw(&tty);
        tcsetattr(slave, TCSAFLUSH, &tty);
    }
    /* Keep the slave open so the master never sees a hang-up while no
     * client has the pty open. */
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
    chr->listen_fd = slave;
    chr->filename = g_strdup_printf("pty:%s", name);
    fprintf(stderr, "char device redirected to %s (label %s)\n", name, chr->id);
    chardev_attach_fds(chr, master, master);
    return true;
}

static void pty_close(Chardev *chr)
{
    if (chr->in_fd >= 0) {
        close(chr->in_fd);
    }
    if (chr->listen_fd >= 0) {
        close(chr->listen_fd);
    }
}

static void pty_disconnected(Chardev *chr)
{
    /* EIO while nobody has the slave open: keep the master. */
    chr->connected = true;
}

const ChardevBackendOps chardev_pty_ops = {
    .name = "pty",
    .open = pty_open,
    .close = pty_close,
    .disconnected = pty_disconnected,
};
