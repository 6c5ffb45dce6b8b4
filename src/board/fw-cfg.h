/* QEMU's firmware configuration device (fw_cfg) on the PC's I/O ports,
 * as QEMU's docs/specs/fw_cfg describes it: a 16-bit selector at 0x510,
 * an auto-incrementing byte-wide data port at 0x511 and the DMA address
 * register at 0x514 (big-endian, high half first, the low half at 0x518
 * starts the transfer). Firmware such as SeaBIOS reads the machine's
 * description from it: RAM size, CPU counts, the e820 map and the ACPI
 * tables with the linker/loader script that places them. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define FW_CFG_IO_BASE      0x510
#define FW_CFG_DMA_IO_BASE  0x514

/* Item keys (selector values). Bit 14 of the selector asks for write
 * access and is not part of the key; bit 15 selects the architecture's
 * own items. */
enum {
    FW_CFG_SIGNATURE      = 0x00,
    FW_CFG_ID             = 0x01,
    FW_CFG_UUID           = 0x02,
    FW_CFG_RAM_SIZE       = 0x03,
    FW_CFG_NOGRAPHIC      = 0x04,
    FW_CFG_NB_CPUS        = 0x05,
    FW_CFG_MACHINE_ID     = 0x06,
    FW_CFG_KERNEL_ADDR    = 0x07,
    FW_CFG_KERNEL_SIZE    = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR    = 0x0a,
    FW_CFG_INITRD_SIZE    = 0x0b,
    FW_CFG_BOOT_DEVICE    = 0x0c,
    FW_CFG_NUMA           = 0x0d,
    FW_CFG_BOOT_MENU      = 0x0e,
    FW_CFG_MAX_CPUS       = 0x0f,
    FW_CFG_KERNEL_ENTRY   = 0x10,
    FW_CFG_KERNEL_DATA    = 0x11,
    FW_CFG_INITRD_DATA    = 0x12,
    FW_CFG_CMDLINE_ADDR   = 0x13,
    FW_CFG_CMDLINE_SIZE   = 0x14,
    FW_CFG_CMDLINE_DATA   = 0x15,
    FW_CFG_SETUP_ADDR     = 0x16,
    FW_CFG_SETUP_SIZE     = 0x17,
    FW_CFG_SETUP_DATA     = 0x18,
    FW_CFG_FILE_DIR       = 0x19,
    FW_CFG_FILE_FIRST     = 0x20,
    FW_CFG_WRITE_CHANNEL  = 0x4000,
    FW_CFG_ARCH_LOCAL     = 0x8000,
    FW_CFG_IRQ0_OVERRIDE  = FW_CFG_ARCH_LOCAL + 2,
    FW_CFG_HPET           = FW_CFG_ARCH_LOCAL + 4,
};

#define FW_CFG_ID_TRADITIONAL (1u << 0)
#define FW_CFG_ID_DMA         (1u << 1)

/* DMA descriptor control bits (the descriptor is big-endian: be32
 * control, be32 length, be64 address; the selector is control's top 16
 * bits). */
#define FW_CFG_DMA_ERROR  (1u << 0)
#define FW_CFG_DMA_READ   (1u << 1)
#define FW_CFG_DMA_SKIP   (1u << 2)
#define FW_CFG_DMA_SELECT (1u << 3)
#define FW_CFG_DMA_WRITE  (1u << 4)

/* Reading the DMA register gives "QEMU CFG" (big-endian). */
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ULL

#define FW_CFG_FILE_NAME_MAX 56   /* including the NUL */

typedef struct Machine Machine;
typedef struct FwCfgState FwCfgState;

/* The board's fw_cfg device, or NULL. */
FwCfgState *fw_cfg_find(Machine *m);

/* Adds or replaces a numbered item (takes the reference). */
void fw_cfg_add_bytes(FwCfgState *s, uint16_t key, GBytes *data);
void fw_cfg_add_i16(FwCfgState *s, uint16_t key, uint16_t value);   /* little-endian */
void fw_cfg_add_i32(FwCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FwCfgState *s, uint16_t key, uint64_t value);
/* Adds or replaces a named file (takes the reference). Files are kept
 * sorted by name and numbered from FW_CFG_FILE_FIRST in that order, as
 * QEMU's PC machines do; fails when the x-file-slots are used up. */
bool fw_cfg_add_file(FwCfgState *s, const char *name, GBytes *data, GError **errp);

/* The current contents of an item (key as a selector would give it),
 * or NULL: for the monitor and tests. */
GBytes *fw_cfg_get(FwCfgState *s, uint16_t key);
/* (Re)builds etc/acpi/rsdp, etc/acpi/tables and etc/table-loader from the
 * machine: once the -device devices exist, they describe themselves too. */
bool fw_cfg_add_acpi(FwCfgState *s, Machine *m, GError **errp);
/* The selector of a file, or -1. */
int fw_cfg_file_key(FwCfgState *s, const char *name);
