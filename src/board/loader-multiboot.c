/* Multiboot v1 (the GNU Multiboot Specification 0.6.96): the header in the
 * first 8 KiB, ELF or "a.out kludge" loading, and the information structure
 * with memory sizes, command line, modules (from -initrd "a args,b") and
 * the memory map. The info, strings and modules go after the kernel image,
 * page aligned, as QEMU places them. */
#include "board/e820.h"
#include "board/loader.h"
#include "util/error.h"

#include <string.h>

#define MB_MAGIC        0x1BADB002u
#define MB_SEARCH       8192
#define MB_AOUT_KLUDGE  (1u << 16)
#define MB_INFO_MEM     (1u << 0)
#define MB_INFO_BOOTDEV (1u << 1)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS    (1u << 3)
#define MB_INFO_MMAP    (1u << 6)
#define MB_INFO_LOADER  (1u << 9)
#define MB_INFO_SIZE    88

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

long loader_find_multiboot(const uint8_t *img, size_t len)
{
    size_t end = MIN(len, (size_t)MB_SEARCH);
    for (size_t off = 0; off + 12 <= end; off += 4) {
        uint32_t magic = rd32(img + off), flags = rd32(img + off + 4);
        if (magic == MB_MAGIC && (uint32_t)(magic + flags + rd32(img + off + 8)) == 0) {
            return off;
        }
    }
    return -1;
}

/* Accumulates the area after the kernel: info, strings, mmap, modules. */
typedef struct {
    GByteArray *buf;
    uint64_t base;
} MbArea;

static uint32_t area_put(MbArea *a, const void *data, size_t len, size_t align)
{
    while (a->buf->len % align) {
        g_byte_array_append(a->buf, (const uint8_t *)"", 1);
    }
    uint32_t addr = a->base + a->buf->len;
    g_byte_array_append(a->buf, data, len);
    return addr;
}

static bool load_modules(MbArea *a, const char *spec, uint64_t max, uint8_t *info,
                         GError **errp)
{
    /* "file args,file2 args2"; ",," is a literal comma. */
    GPtrArray *mods = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);
    for (const char *s = spec;; s++) {
        if (*s == ',' && s[1] == ',') {
            g_string_append_c(cur, ',');
            s++;
        } else if (*s == ',' || !*s) {
            g_ptr_array_add(mods, g_string_free(cur, FALSE));
            cur = g_string_new(NULL);
            if (!*s) {
                break;
            }
        } else {
            g_string_append_c(cur, *s);
        }
    }
    g_string_free(cur, TRUE);

    g_autoptr(GByteArray) list = g_byte_array_new();
    for (guint i = 0; i < mods->len; i++) {
        const char *m = g_ptr_array_index(mods, i);
        g_autofree char *path = g_strdup(m);
        char *sp = strchr(path, ' ');
        if (sp) {
            *sp = '\0';
        }
        g_autoptr(GBytes) data = loader_read_file(path, max, "multiboot module", errp);
        if (!data) {
            g_ptr_array_unref(mods);
            return false;
        }
        gsize len;
        const void *p = g_bytes_get_data(data, &len);
        uint32_t start = area_put(a, p, len, 4096);
        uint32_t str = area_put(a, m, strlen(m) + 1, 1);
        uint32_t entry[4] = { start, start + (uint32_t)len, str, 0 };
        g_byte_array_append(list, (const uint8_t *)entry, sizeof(entry));
    }
    uint32_t list_addr = area_put(a, list->data, list->len, 16);
    memcpy(info + 20, &mods->len, 4);
    memcpy(info + 24, &list_addr, 4);
    g_ptr_array_unref(mods);
    return true;
}

bool loader_load_multiboot(BootImage *bi, GuestRam *ram, const BootParams *p,
                           const uint8_t *img, size_t len, GError **errp)
{
    long off = loader_find_multiboot(img, len);
    if (off < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "no multiboot header in the first 8 KiB");
        return false;
    }
    uint32_t flags = rd32(img + off + 4);
    uint64_t entry, high;

    if (flags & MB_AOUT_KLUDGE) {
        if ((size_t)off + 32 > len) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "truncated multiboot header");
            return false;
        }
        uint32_t header_addr = rd32(img + off + 12), load_addr = rd32(img + off + 16);
        uint32_t load_end = rd32(img + off + 20), bss_end = rd32(img + off + 24);
        entry = rd32(img + off + 28);
        if (header_addr < load_addr || header_addr - load_addr > (uint64_t)off) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "multiboot header_addr/load_addr are inconsistent");
            return false;
        }
        uint64_t file_off = off - (header_addr - load_addr);
        uint64_t size = load_end ? (uint64_t)load_end - load_addr : len - file_off;
        if (load_end && load_end < load_addr) {
            size = UINT64_MAX;
        }
        if (size > len - file_off) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "multiboot load range exceeds the file");
            return false;
        }
        if (!boot_image_add(bi, ram, load_addr, img + file_off, size, "kernel", errp)) {
            return false;
        }
        high = load_addr + size;
        if (bss_end > high) {
            g_autofree uint8_t *zero = g_malloc0(bss_end - high);
            if (!boot_image_add(bi, ram, high, zero, bss_end - high, "kernel bss", errp)) {
                return false;
            }
            high = bss_end;
        }
    } else {
        uint64_t pvh;
        if (!loader_is_elf(img, len)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "multiboot image is neither ELF nor has load addresses");
            return false;
        }
        if (!elf_load(bi, ram, img, len, &entry, &high, &pvh, errp)) {
            return false;
        }
    }

    MbArea a = { .buf = g_byte_array_new(), .base = (high + 0xfff) & ~0xfffULL };
    uint8_t info[MB_INFO_SIZE] = { 0 };
    area_put(&a, info, sizeof(info), 4096);   /* placeholder, filled below */

    uint32_t mb_flags = MB_INFO_MEM | MB_INFO_BOOTDEV | MB_INFO_CMDLINE | MB_INFO_MMAP |
                        MB_INFO_LOADER;
    uint32_t mem_lower = 640, mem_upper = (MIN(ram->below_4g, 0xffffffffULL) - 0x100000) / 1024;
    uint32_t bootdev = 0x8000ffff;
    memcpy(info + 4, &mem_lower, 4);
    memcpy(info + 8, &mem_upper, 4);
    memcpy(info + 12, &bootdev, 4);

    /* QEMU passes "kernel-path cmdline" as the command line. */
    g_autofree char *cmdline = g_strdup_printf("%s%s%s", p->kernel, p->cmdline ? " " : "",
                                               p->cmdline ? p->cmdline : "");
    uint32_t cl = area_put(&a, cmdline, strlen(cmdline) + 1, 1);
    memcpy(info + 16, &cl, 4);
    uint32_t name = area_put(&a, "tern", 5, 1);
    memcpy(info + 64, &name, 4);

    g_autoptr(GArray) e820 = e820_build(ram);
    g_autoptr(GByteArray) mmap = g_byte_array_new();
    for (guint i = 0; i < e820->len; i++) {
        E820Entry *e = &g_array_index(e820, E820Entry, i);
        uint8_t ent[24];
        uint32_t size = 20;
        memcpy(ent, &size, 4);
        memcpy(ent + 4, &e->addr, 8);
        memcpy(ent + 12, &e->size, 8);
        memcpy(ent + 20, &e->type, 4);
        g_byte_array_append(mmap, ent, sizeof(ent));
    }
    uint32_t mmap_addr = area_put(&a, mmap->data, mmap->len, 4), mmap_len = mmap->len;
    memcpy(info + 44, &mmap_len, 4);
    memcpy(info + 48, &mmap_addr, 4);

    bool ok = true;
    if (p->initrd) {
        mb_flags |= MB_INFO_MODS;
        ok = load_modules(&a, p->initrd, ram->size, info, errp);
    }
    memcpy(info, &mb_flags, 4);
    memcpy(a.buf->data, info, sizeof(info));
    if (ok) {
        ok = boot_image_add(bi, ram, a.base, a.buf->data, a.buf->len, "multiboot information",
                            errp);
    }
    g_byte_array_unref(a.buf);
    if (!ok) {
        return false;
    }
    bi->protocol = BOOT_MULTIBOOT;
    bi->entry = entry;
    bi->info = a.base;
    return true;
}
