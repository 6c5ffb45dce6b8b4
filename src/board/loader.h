/* Kernel loading without firmware: Linux bzImage (64-bit entry), ELF
 * (PVH note, or a 64-bit vmlinux entry), multiboot v1. Everything a loader
 * writes into guest RAM is kept as a blob so a reset can put it back, as
 * QEMU restores its ROMs. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/memory.h"

typedef enum {
    BOOT_NONE,          /* no kernel: the vCPU starts at the reset vector */
    BOOT_MULTIBOOT,     /* 32-bit flat, EAX=0x2BADB002, EBX=info */
    BOOT_PVH,           /* 32-bit flat, EBX=hvm_start_info */
    BOOT_LINUX64,       /* 64-bit, paging on (identity), RSI=boot_params */
} BootProtocol;

typedef struct BootBlob {
    uint64_t gpa;
    GBytes *data;
} BootBlob;

typedef struct BootImage {
    BootProtocol protocol;
    uint64_t entry;
    uint64_t info;          /* EBX or RSI */
    GArray *blobs;          /* BootBlob */
    /* Files being loaded (mapped read-only): blobs that lie inside one
     * reference it instead of keeping a copy. */
    GPtrArray *sources;     /* GBytes */
} BootImage;

typedef struct BootParams {
    const char *kernel;
    const char *initrd;
    const char *cmdline;
    unsigned ncpus;
} BootParams;

/* Fixed low-memory layout used by the direct-boot paths. */
#define BOOT_GDT_ADDR        0x500ULL
#define BOOT_ZERO_PAGE_ADDR  0x7000ULL
#define BOOT_STACK_TOP       0x8ff0ULL
#define BOOT_PML4_ADDR       0x9000ULL    /* +0x1000 PDPT, +0x2000..0x5fff PDs */
#define BOOT_CMDLINE_ADDR    0x20000ULL
#define BOOT_CMDLINE_MAX     0x10000ULL
#define BOOT_KERNEL_ADDR     0x100000ULL

void boot_image_init(BootImage *bi);
void boot_image_clear(BootImage *bi);
/* Writes data at gpa and records it; errors if it does not fit in RAM. */
bool boot_image_add(BootImage *bi, GuestRam *ram, uint64_t gpa, const void *data, size_t len,
                    const char *what, GError **errp);
/* Like boot_image_add, for data inside `file` (no copy is kept). */
bool boot_image_add_bytes(BootImage *bi, GuestRam *ram, uint64_t gpa, GBytes *file,
                          size_t offset, size_t len, const char *what, GError **errp);
/* Rewrites every blob (machine reset). */
void boot_image_reinstall(BootImage *bi, GuestRam *ram);

/* Picks the format from the file's contents and loads it. */
bool loader_load_kernel(BootImage *bi, GuestRam *ram, const BootParams *p, GError **errp);

/* Format loaders (also used directly by unit tests). */
bool loader_is_bzimage(const uint8_t *img, size_t len);
bool loader_load_bzimage(BootImage *bi, GuestRam *ram, const BootParams *p,
                         const uint8_t *img, size_t len, GError **errp);
/* Offset of a valid multiboot header in the first 8 KiB, or -1. */
long loader_find_multiboot(const uint8_t *img, size_t len);
bool loader_load_multiboot(BootImage *bi, GuestRam *ram, const BootParams *p,
                           const uint8_t *img, size_t len, GError **errp);
bool loader_is_elf(const uint8_t *img, size_t len);
bool loader_load_elf_kernel(BootImage *bi, GuestRam *ram, const BootParams *p,
                            const uint8_t *img, size_t len, GError **errp);

/* ELF segments into RAM; entry and highest loaded address out. pvh_entry is
 * set (non-zero) if the image has a PVH entry note. */
bool elf_load(BootImage *bi, GuestRam *ram, const uint8_t *img, size_t len, uint64_t *entry,
              uint64_t *high, uint64_t *pvh_entry, GError **errp);

/* Builds the Linux zero page for a kernel whose setup header (from
 * offset 0x1f1) is given, with cmdline and initrd placed; shared by the
 * bzImage and vmlinux paths. */
bool linux_setup_boot_params(BootImage *bi, GuestRam *ram, const BootParams *p,
                             const uint8_t *setup_hdr, size_t hdr_len, uint64_t kernel_end,
                             uint32_t initrd_max, GError **errp);
/* Maps a whole file read-only, refusing ones larger than max. */
GBytes *loader_read_file(const char *path, uint64_t max, const char *what, GError **errp);
