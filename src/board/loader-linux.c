/* Linux x86 boot protocol (Documentation/arch/x86/boot.rst), entered at the
 * 64-bit entry point as Firecracker and crosvm do: no real-mode setup code
 * runs, so Tern fills in the zero page itself. */
#include "board/e820.h"
#include "board/linux-boot.h"
#include "board/loader.h"
#include "util/error.h"

#include <string.h>

/* Offsets in the zero page (struct boot_params). */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES      0x1e8
#define BP_HDR               0x1f1
#define BP_E820_TABLE        0x2d0
#define BP_E820_MAX          128

static void put_le64_at(uint8_t *p, uint64_t v) { put_le32_at(p, v); put_le32_at(p + 4, v >> 32); }

bool loader_is_bzimage(const uint8_t *img, size_t len)
{
    return len >= HDR_MAGIC + 4 && !memcmp(img + HDR_MAGIC, "HdrS", 4);
}

bool linux_setup_boot_params(BootImage *bi, GuestRam *ram, const BootParams *p,
                             const uint8_t *setup_hdr, size_t hdr_len, uint64_t kernel_end,
                             uint32_t initrd_max, GError **errp)
{
    uint8_t zp[4096] = { 0 };
    memcpy(zp + BP_HDR, setup_hdr, MIN(hdr_len, (size_t)(HDR_END_MAX - BP_HDR)));

    put_le16_at(zp + HDR_VID_MODE, 0xffff);              /* "normal" */
    zp[HDR_TYPE_OF_LOADER] = 0xff;                /* undefined boot loader */
    zp[HDR_LOADFLAGS] |= LOADED_HIGH;

    /* Command line. */
    const char *cmdline = p->cmdline ? p->cmdline : "";
    size_t cl_len = strlen(cmdline);
    uint32_t cl_max = le32_at(zp + HDR_CMDLINE_SIZE);
    if (cl_max == 0) {
        cl_max = 255;   /* protocols before 2.06 */
    }
    if (cl_len > cl_max || cl_len >= BOOT_CMDLINE_MAX) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "kernel command line too long (%zu bytes, the kernel takes %u)",
                    cl_len, cl_max);
        return false;
    }
    if (!boot_image_add(bi, ram, BOOT_CMDLINE_ADDR, cmdline, cl_len + 1, "command line", errp)) {
        return false;
    }
    put_le32_at(zp + HDR_CMD_LINE_PTR, BOOT_CMDLINE_ADDR);

    /* Initrd: as high as the kernel allows, below the PCI hole. */
    if (p->initrd) {
        g_autoptr(GBytes) rd = loader_read_file(p->initrd, ram->size, "initrd", errp);
        if (!rd) {
            return false;
        }
        gsize size = g_bytes_get_size(rd);
        uint64_t top = MIN((uint64_t)initrd_max, ram->below_4g - 1) + 1;
        if (size == 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "initrd '%s' is empty", p->initrd);
            return false;
        }
        if (top < kernel_end || size > top - kernel_end) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "initrd '%s' is too large for guest RAM (%zu bytes, %" G_GUINT64_FORMAT
                        " available above the kernel)", p->initrd, (size_t)size,
                        top > kernel_end ? top - kernel_end : 0);
            return false;
        }
        uint64_t addr = (top - size) & ~0xfffULL;
        if (addr < kernel_end) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "initrd '%s' is too large for guest RAM (%zu bytes do not fit "
                        "page-aligned above the kernel)", p->initrd, (size_t)size);
            return false;
        }
        if (!boot_image_add_bytes(bi, ram, addr, rd, 0, size, "initrd", errp)) {
            return false;
        }
        put_le32_at(zp + HDR_RAMDISK_IMAGE, addr);
        put_le32_at(zp + HDR_RAMDISK_SIZE, size);
    }

    /* Memory map. */
    g_autoptr(GArray) e820 = e820_build(ram);
    guint n = MIN(e820->len, (guint)BP_E820_MAX);
    for (guint i = 0; i < n; i++) {
        E820Entry *e = &g_array_index(e820, E820Entry, i);
        uint8_t *d = zp + BP_E820_TABLE + i * 20;
        put_le64_at(d, e->addr);
        put_le64_at(d + 8, e->size);
        put_le32_at(d + 16, e->type);
    }
    zp[BP_E820_ENTRIES] = n;

    if (!boot_image_add(bi, ram, BOOT_ZERO_PAGE_ADDR, zp, sizeof(zp), "boot parameters", errp)) {
        return false;
    }
    bi->info = BOOT_ZERO_PAGE_ADDR;
    return true;
}

bool loader_load_bzimage(BootImage *bi, GuestRam *ram, const BootParams *p,
                         const uint8_t *img, size_t len, GError **errp)
{
    if (len < 0x400) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "truncated bzImage (%zu bytes)", len);
        return false;
    }
    uint16_t version = le16_at(img + HDR_VERSION);
    if (version < 0x20c || !(le16_at(img + HDR_XLOADFLAGS) & XLF_KERNEL_64)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "bzImage has no 64-bit entry point (boot protocol %u.%02u, "
                    "Tern needs 2.12+ with XLF_KERNEL_64)", version >> 8, version & 0xff);
        return false;
    }
    if (le16_at(img + HDR_BOOT_FLAG) != 0xaa55) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "bzImage has a bad boot flag");
        return false;
    }
    unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    size_t setup_size = (size_t)(setup_sects + 1) * 512;
    if (setup_size >= len) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "truncated bzImage: setup (%zu bytes) fills the whole file (%zu bytes)",
                    setup_size, len);
        return false;
    }
    size_t hdr_end = HDR_JUMP + 2 + img[HDR_JUMP + 1];
    hdr_end = MIN(hdr_end, (size_t)HDR_END_MAX);
    uint32_t init_size = len >= HDR_INIT_SIZE + 4 ? le32_at(img + HDR_INIT_SIZE) : 0;
    size_t pm_size = len - setup_size;
    uint64_t kernel_end = BOOT_KERNEL_ADDR + MAX((uint64_t)pm_size, (uint64_t)init_size);
    if (kernel_end > ram->below_4g) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "kernel needs 0x%" G_GINT64_MODIFIER "x bytes of RAM, the guest has 0x%"
                    G_GINT64_MODIFIER "x below 4 GiB", kernel_end, ram->below_4g);
        return false;
    }
    if (!boot_image_add(bi, ram, BOOT_KERNEL_ADDR, img + setup_size, pm_size, "kernel", errp)) {
        return false;
    }
    uint32_t initrd_max = le32_at(img + HDR_INITRD_ADDR_MAX);
    if (!linux_setup_boot_params(bi, ram, p, img + BP_HDR, hdr_end - BP_HDR, kernel_end,
                                 initrd_max ? initrd_max : 0x37ffffff, errp)) {
        return false;
    }
    bi->protocol = BOOT_LINUX64;
    bi->entry = BOOT_KERNEL_ADDR + 0x200;
    return true;
}
