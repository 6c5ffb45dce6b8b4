/* A tiny synchronous QMP client for tests: line-based, with a timeout on
 * every read so a silent VMM fails the test instead of hanging it. */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef struct QmpClient QmpClient;

QmpClient *qmp_connect(const char *path, int timeout_ms);
/* A listening socket at path, to hand to Tern as -chardev socket,fd=N so
 * clients can connect before Tern has started (no race, no polling). */
int qmp_listen(const char *path);
void qmp_close(QmpClient *c);
/* Next line without its "\r\n"; NULL on timeout or EOF. Fails the test if
 * a line does not end in "\r\n". */
char *qmp_read_line(QmpClient *c);
void qmp_send(QmpClient *c, const char *text);
/* Sends a command and returns the first line that is not an event. */
char *qmp_cmd(QmpClient *c, const char *text);
/* Waits for an event by name, returning its line. */
char *qmp_wait_event(QmpClient *c, const char *name);
