/* stdio backend. A terminal on stdin is put in raw mode (keeping ISIG, so
 * Ctrl-C still stops Tern, like QEMU's signal=on default) and restored at
 * exit, including exits from isa-debug-exit. */
#include "chardev/chardev.h"
#include "util/error.h"

#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

/* The one piece of process state here: the terminal mode to restore. */
static struct termios saved_tty;
static bool tty_saved;

static void restore_tty(void)
{
    if (tty_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
    }
}

static bool stdio_validate(TernOpts *opts, GError **errp)
{
    bool b;
    return opts_get_bool(opts, "signal", true, &b, errp);
}

static bool stdio_open(Chardev *chr, TernOpts *opts, GError **errp)
{
    bool signal_on;
    if (!opts_get_bool(opts, "signal", true, &signal_on, errp)) {
        return false;
    }
    if (isatty(STDIN_FILENO) && !tty_saved && tcgetattr(STDIN_FILENO, &saved_tty) == 0) {
        struct termios raw = saved_tty;
        tty_saved = true;
        atexit(restore_tty);
        raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        raw.c_oflag |= OPOST;
        raw.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
        if (!signal_on) {
            raw.c_lflag &= ~ISIG;
        }
        raw.c_cflag &= ~(CSIZE | PARENB);
        raw.c_cflag |= CS8;
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    chr->out_blocking = true;
    chr->filename = g_strdup("stdio");
    chardev_attach_fds(chr, STDIN_FILENO, STDOUT_FILENO);
    return true;
}

static void stdio_close(Chardev *chr)
{
    restore_tty();
}

static void stdio_disconnected(Chardev *chr)
{
    /* stdin closed: keep writing to stdout. */
    chr->in_fd = -1;
    chr->connected = true;
}

const ChardevBackendOps chardev_stdio_ops = {
    .name = "stdio",
    .validate = stdio_validate,
    .open = stdio_open,
    .close = stdio_close,
    .disconnected = stdio_disconnected,
};
