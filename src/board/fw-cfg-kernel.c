/* -kernel under firmware (-bios): the kernel, initrd and command line go
 * to fw_cfg, and an option ROM that firmware runs from fw_cfg
 * ("genroms/linuxboot_dma.bin", Debian's qemu-system-data file) copies
 * them into place and enters the real-mode setup code. The addresses and
 * the patched setup header are the ones QEMU 7.2 serves (read through
 * fw_cfg items 0x07-0x18), so the same ROM works unchanged. Linux boot
 * protocol 2.02 or later (Documentation/arch/x86/boot.rst). */
#include "board/fw-cfg-kernel.h"
#include "board/fw-cfg.h"
#include "board/linux-boot.h"
#include "board/pc.h"
#include "util/error.h"

#include <string.h>

#define SETUP_ADDR        0x10000     /* real-mode code, heap and stack */
#define CMDLINE_ADDR      0x20000
#define KERNEL_ADDR       0x100000
#define HEAP_END          0xfe00      /* from SETUP_ADDR */
#define ACPI_DATA_SIZE    0x28000     /* what QEMU keeps clear below RAM's top */

#define OPTION_ROM        "linuxboot_dma.bin"
static const char *const rom_dirs[] = { "/usr/share/qemu", "/usr/share/seabios" };


static GBytes *load_option_rom(GError **errp)
{
    for (guint i = 0; i < G_N_ELEMENTS(rom_dirs); i++) {
        g_autofree char *path = g_build_filename(rom_dirs[i], OPTION_ROM, NULL);
        char *data;
        gsize len;
        if (g_file_get_contents(path, &data, &len, NULL)) {
            return g_bytes_new_take(data, len);
        }
    }
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                "-kernel with firmware: cannot find the option ROM %s (package qemu-system-data)",
                OPTION_ROM);
    return NULL;
}

static void add_blob(FwCfgState *s, uint16_t addr_key, uint16_t size_key, uint16_t data_key,
                     uint32_t addr, const void *data, gsize len)
{
    fw_cfg_add_i32(s, addr_key, addr);
    fw_cfg_add_i32(s, size_key, len);
    fw_cfg_add_bytes(s, data_key, g_bytes_new(data, len));
}

bool fw_cfg_load_kernel(Machine *m, GError **errp)
{
    MachineConfig *cfg = m->cfg;
    FwCfgState *s = fw_cfg_find(m);
    g_autofree uint8_t *img = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    if (!s) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-kernel with firmware needs fw_cfg");
        return false;
    }
    if (!g_file_get_contents(cfg->kernel, (char **)&img, &len, &err)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "could not load kernel '%s': %s",
                    cfg->kernel, err->message);
        return false;
    }
    uint16_t version = len > HDR_VERSION + 2 ? img[HDR_VERSION] | img[HDR_VERSION + 1] << 8 : 0;
    if (len < 0x400 || memcmp(img + HDR_MAGIC, "HdrS", 4) || version < 0x202 ||
        !(img[HDR_LOADFLAGS] & LOADED_HIGH)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "-kernel %s: firmware boot needs a bzImage (Linux boot protocol 2.02+)",
                    cfg->kernel);
        return false;
    }
    gsize setup_size = ((img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4) + 1) * 512;
    if (setup_size >= len) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-kernel %s: truncated image",
                    cfg->kernel);
        return false;
    }

    /* The setup header as a boot loader leaves it. */
    img[HDR_TYPE_OF_LOADER] = 0xb0;                 /* QEMU's loader ID */
    img[HDR_LOADFLAGS] |= CAN_USE_HEAP;
    put_le16_at(img + HDR_HEAP_END_PTR, HEAP_END);
    put_le32_at(img + HDR_CMD_LINE_PTR, CMDLINE_ADDR);

    if (cfg->initrd) {
        g_autofree char *initrd = NULL;
        gsize ilen = 0;
        if (!g_file_get_contents(cfg->initrd, &initrd, &ilen, &err)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "could not load initrd '%s': %s",
                        cfg->initrd, err->message);
            return false;
        }
        uint32_t max = version >= 0x203 ? le32_at(img + HDR_INITRD_ADDR_MAX) : 0x37ffffff;
        max = MIN((uint64_t)max, m->ram.below_4g - ACPI_DATA_SIZE - 1);
        if (ilen >= max) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "-initrd %s: too large for the kernel (%" G_GSIZE_FORMAT " bytes)",
                        cfg->initrd, ilen);
            return false;
        }
        uint32_t at = (max - ilen) & ~0xfffu;
        put_le32_at(img + HDR_RAMDISK_IMAGE, at);
        put_le32_at(img + HDR_RAMDISK_SIZE, ilen);
        add_blob(s, FW_CFG_INITRD_ADDR, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA, at, initrd, ilen);
    }
    const char *cmdline = cfg->append ? cfg->append : "";
    add_blob(s, FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA, CMDLINE_ADDR,
             cmdline, strlen(cmdline) + 1);
    add_blob(s, FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA, SETUP_ADDR, img,
             setup_size);
    add_blob(s, FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA, KERNEL_ADDR,
             img + setup_size, len - setup_size);

    GBytes *rom = load_option_rom(errp);
    static const char bootorder[] = "/rom@genroms/" OPTION_ROM;
    return rom && fw_cfg_add_file(s, "genroms/" OPTION_ROM, rom, errp) &&
           fw_cfg_add_file(s, "bootorder", g_bytes_new(bootorder, sizeof(bootorder)), errp);
}
