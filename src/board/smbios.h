/* SMBIOS 2.8 tables for the firmware, served through fw_cfg as QEMU 7.2's
 * pc does: "etc/smbios/smbios-anchor" (the 31-byte "_SM_" entry point,
 * checksums and table address left 0 for the firmware to fill in) and
 * "etc/smbios/smbios-tables" (types 1, 3, 4 per socket, 16, 17 per
 * 16 GiB of RAM, 19 per RAM range, 32 and 127). Type 0 is the
 * firmware's own. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define SMBIOS_ANCHOR_FILE "etc/smbios/smbios-anchor"
#define SMBIOS_TABLES_FILE "etc/smbios/smbios-tables"
#define SMBIOS_ANCHOR_SIZE 31
#define SMBIOS_MAX_RANGES 4

typedef struct Machine Machine;

typedef struct SmbiosRange {
    uint64_t start, size;   /* bytes */
} SmbiosRange;

/* Everything the tables say, so they can be built without a machine. */
typedef struct SmbiosConfig {
    const char *manufacturer;   /* "QEMU" */
    const char *product;        /* the machine's description */
    const char *version;        /* the machine type, "pc-i440fx-7.2" */
    bool has_uuid;
    uint8_t uuid[16];           /* RFC 4122 byte order, as -uuid gives it */
    uint32_t cpu_signature;     /* CPUID.1:EAX */
    uint32_t cpu_features;      /* CPUID.1:EDX */
    unsigned sockets;           /* one type 4 each */
    unsigned cores_per_socket;
    unsigned threads_per_socket;
    uint64_t ram_size;          /* bytes */
    unsigned nranges;           /* RAM ranges in the memory map */
    SmbiosRange ranges[SMBIOS_MAX_RANGES];
} SmbiosConfig;

/* Fills c from the command line and RAM layout. Strings are borrowed. */
void smbios_config_from_machine(Machine *m, SmbiosConfig *c);

/* Builds the two fw_cfg files. */
void smbios_build(const SmbiosConfig *c, GBytes **anchor, GBytes **tables);

/* The firmware's part: where the tables landed, and both checksums. */
void smbios_anchor_finish(uint8_t anchor[SMBIOS_ANCHOR_SIZE], uint32_t table_addr);
