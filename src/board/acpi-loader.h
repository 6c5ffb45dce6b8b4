/* QEMU's BIOS linker/loader for ACPI tables ("etc/table-loader"): a
 * script of 128-byte commands by which firmware (SeaBIOS, OVMF) allocates
 * fw_cfg files in guest memory, patches the pointers between them and
 * fixes the checksums, so the host never has to know where the firmware
 * puts the tables. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define ACPI_LOADER_FILE_RSDP   "etc/acpi/rsdp"
#define ACPI_LOADER_FILE_TABLES "etc/acpi/tables"
#define ACPI_LOADER_FILE_SCRIPT "etc/table-loader"

enum {
    BIOS_LOADER_ALLOCATE     = 1,
    BIOS_LOADER_ADD_POINTER  = 2,
    BIOS_LOADER_ADD_CHECKSUM = 3,
};

enum {
    BIOS_LOADER_ZONE_HIGH = 1,   /* anywhere in RAM */
    BIOS_LOADER_ZONE_FSEG = 2,   /* the 0xe0000-0xfffff BIOS segment */
};

#define BIOS_LOADER_COMMAND_SIZE 128

typedef struct BiosLinker BiosLinker;

BiosLinker *bios_linker_new(void);
void bios_linker_free(BiosLinker *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiosLinker, bios_linker_free)
void bios_linker_allocate(BiosLinker *l, const char *file, uint32_t align, uint8_t zone);
/* The `size`-byte little-endian value at dest_file+offset gets the
 * address of src_file added to it. */
void bios_linker_add_pointer(BiosLinker *l, const char *dest_file, uint32_t offset,
                             uint8_t size, const char *src_file);
/* The byte at file+offset is adjusted so [start, start+len) sums to 0. */
void bios_linker_add_checksum(BiosLinker *l, const char *file, uint32_t offset, uint32_t start,
                              uint32_t len);
/* The script, zero-padded (no-op commands) to at least min_size. */
GBytes *bios_linker_finish(BiosLinker *l, size_t min_size);

/* The three fw_cfg files for a set of ACPI tables laid out from address
 * 0 (acpi_build_tables(..., 0)), RSDP first: the RSDP alone, the tables
 * (with the RSDP's bytes cleared, so no stale copy is found by a scan),
 * and the script that allocates both and relocates every pointer. */
typedef struct AcpiLoaderFiles {
    GBytes *rsdp;
    GBytes *tables;
    GBytes *loader;
} AcpiLoaderFiles;

bool acpi_loader_build(const uint8_t *blob, size_t len, AcpiLoaderFiles *out, GError **errp);
void acpi_loader_files_clear(AcpiLoaderFiles *f);
