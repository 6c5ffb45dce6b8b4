/* The qtest protocol (QEMU 7.2's -qtest): a line-based text protocol on a
 * chardev through which a test program drives port I/O, guest memory and
 * the virtual clock, and watches the IOAPIC inputs. See docs/qtest.md. */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef struct Machine Machine;
typedef struct QTestServer QTestServer;

/* Serves the protocol on chardev chr_id (already opened by the machine).
 * log: a file name, "none" for no log, NULL for stderr (as QEMU). */
QTestServer *qtest_server_new(Machine *m, const char *chr_id, const char *log, GError **errp);
void qtest_server_free(QTestServer *q);
