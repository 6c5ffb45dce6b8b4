#include "main/daemonize.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

bool daemonize_start(Daemon *d, GError **errp)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-daemonize: pipe: %s",
                    g_strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-daemonize: fork: %s",
                    g_strerror(errno));
        return false;
    }
    if (pid > 0) {
        close(fds[1]);
        char ok;
        ssize_t n;
        do {
            n = read(fds[0], &ok, 1);
        } while (n < 0 && errno == EINTR);
        if (n == 1 && ok == 0) {
            _exit(0);
        }
        /* The child failed (it has printed why) or died. */
        int status;
        waitpid(pid, &status, 0);
        _exit(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
    }
    close(fds[0]);
    setsid();
    d->ready_fd = fds[1];
    return true;
}

void daemonize_done(Daemon *d)
{
    if (d->ready_fd < 0) {
        return;
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO) {
            close(null);
        }
    }
    char ok = 0;
    if (write(d->ready_fd, &ok, 1) != 1) {
        /* The parent is gone; nothing to tell. */
    }
    close(d->ready_fd);
    d->ready_fd = -1;
}

bool pidfile_write(const char *path, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Cannot open pid file: %s", g_strerror(errno));
        return false;
    }
    /* Held for the process's lifetime: a second instance fails here. */
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Cannot lock pid file: %s", g_strerror(errno));
        close(fd);
        return false;
    }
    g_autofree char *pid = g_strdup_printf("%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Failed to write pid file: %s", g_strerror(errno));
        close(fd);
        return false;
    }
    return true;
}
