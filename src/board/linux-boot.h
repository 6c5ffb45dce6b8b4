/* The Linux x86 boot protocol's setup header (Documentation/arch/x86/
 * boot.rst): field offsets counted from the start of the bzImage (and of
 * the zero page, which embeds the header at 0x1f1), for both ways Tern
 * hands a kernel over: its own loader (loader-linux.c) and firmware
 * through fw_cfg (fw-cfg-kernel.c). */
#pragma once
#include <stdint.h>

#define HDR_SETUP_SECTS      0x1f1
#define HDR_VID_MODE         0x1fa
#define HDR_BOOT_FLAG        0x1fe
#define HDR_JUMP             0x200
#define HDR_MAGIC            0x202
#define HDR_VERSION          0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS        0x211
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21c
#define HDR_HEAP_END_PTR     0x224
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_XLOADFLAGS       0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_INIT_SIZE        0x260
#define HDR_END_MAX          0x290

#define LOADED_HIGH   0x01      /* loadflags */
#define CAN_USE_HEAP  0x80
#define XLF_KERNEL_64 0x01      /* xloadflags */

static inline uint16_t le16_at(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint32_t le32_at(const uint8_t *p) { return le16_at(p) | (uint32_t)le16_at(p + 2) << 16; }
static inline void put_le16_at(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void put_le32_at(uint8_t *p, uint32_t v) { put_le16_at(p, v); put_le16_at(p + 2, v >> 16); }
