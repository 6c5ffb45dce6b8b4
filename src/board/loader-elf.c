/* ELF kernels: 32- or 64-bit, loaded by physical address. An image with a
 * PVH note (XEN_ELFNOTE_PHYS32_ENTRY) is entered the PVH way; a 64-bit
 * vmlinux without one at its entry with a Linux zero page. All header
 * fields are bounds-checked: the file is untrusted input. */
#include <elf.h>
#include <string.h>

#include "board/e820.h"
#include "board/loader.h"
#include "util/error.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

bool loader_is_elf(const uint8_t *img, size_t len)
{
    return len >= EI_NIDENT && !memcmp(img, ELFMAG, SELFMAG);
}

typedef struct {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
} Segment;

static bool read_segments(const uint8_t *img, size_t len, GArray *segs, uint64_t *entry,
                          GError **errp)
{
    bool is64 = img[EI_CLASS] == ELFCLASS64;
    if ((img[EI_CLASS] != ELFCLASS32 && !is64) || img[EI_DATA] != ELFDATA2LSB) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "not a little-endian ELF32/ELF64 file");
        return false;
    }
    uint64_t phoff;
    unsigned phnum, phentsize;
    if (is64) {
        if (len < sizeof(Elf64_Ehdr)) {
            goto truncated;
        }
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
        phoff = eh->e_phoff, phnum = eh->e_phnum, phentsize = eh->e_phentsize;
        *entry = eh->e_entry;
        if (phentsize != sizeof(Elf64_Phdr)) {
            goto bad;
        }
    } else {
        if (len < sizeof(Elf32_Ehdr)) {
            goto truncated;
        }
        const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
        phoff = eh->e_phoff, phnum = eh->e_phnum, phentsize = eh->e_phentsize;
        *entry = eh->e_entry;
        if (phentsize != sizeof(Elf32_Phdr)) {
            goto bad;
        }
    }
    if (phoff > len || (uint64_t)phnum * phentsize > len - phoff) {
        goto truncated;
    }
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
        Segment s;
        if (is64) {
            Elf64_Phdr h;
            memcpy(&h, ph, sizeof(h));
            s = (Segment){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz };
        } else {
            Elf32_Phdr h;
            memcpy(&h, ph, sizeof(h));
            s = (Segment){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz };
        }
        if (s.offset > len || s.filesz > len - s.offset || s.filesz > s.memsz) {
            goto truncated;
        }
        g_array_append_val(segs, s);
    }
    return true;
truncated:
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "truncated or corrupt ELF image");
    return false;
bad:
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "unsupported ELF program header size");
    return false;
}

static uint64_t find_pvh_entry(const uint8_t *img, const Segment *s)
{
    uint64_t pos = 0;
    while (pos + 12 <= s->filesz) {
        const uint8_t *n = img + s->offset + pos;
        uint32_t namesz, descsz, type;
        memcpy(&namesz, n, 4);
        memcpy(&descsz, n + 4, 4);
        memcpy(&type, n + 8, 4);
        uint64_t name_al = ((uint64_t)namesz + 3) & ~3ULL;
        uint64_t desc_al = ((uint64_t)descsz + 3) & ~3ULL;
        if (name_al + desc_al > s->filesz - pos - 12) {
            return 0;
        }
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && !memcmp(n + 12, "Xen", 4) &&
            (descsz == 4 || descsz == 8)) {
            uint64_t v = 0;
            memcpy(&v, n + 12 + name_al, descsz);
            return v;
        }
        pos += 12 + name_al + desc_al;
    }
    return 0;
}

bool elf_load(BootImage *bi, GuestRam *ram, const uint8_t *img, size_t len, uint64_t *entry,
              uint64_t *high, uint64_t *pvh_entry, GError **errp)
{
    g_autoptr(GArray) segs = g_array_new(FALSE, FALSE, sizeof(Segment));
    if (!read_segments(img, len, segs, entry, errp)) {
        return false;
    }
    *high = 0;
    *pvh_entry = 0;
    bool loaded = false;
    for (guint i = 0; i < segs->len; i++) {
        Segment *s = &g_array_index(segs, Segment, i);
        if (s->type == PT_NOTE && !*pvh_entry) {
            *pvh_entry = find_pvh_entry(img, s);
        }
        if (s->type != PT_LOAD || s->memsz == 0) {
            continue;
        }
        if (!guest_ram_ptr(ram, s->paddr, s->memsz)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "ELF segment at 0x%" G_GINT64_MODIFIER "x (0x%" G_GINT64_MODIFIER
                        "x bytes) is outside guest RAM", s->paddr, s->memsz);
            return false;
        }
        if (!boot_image_add(bi, ram, s->paddr, img + s->offset, s->filesz, "ELF segment", errp)) {
            return false;
        }
        if (s->memsz > s->filesz) {
            g_autofree uint8_t *zero = g_malloc0(s->memsz - s->filesz);
            if (!boot_image_add(bi, ram, s->paddr + s->filesz, zero, s->memsz - s->filesz,
                                "ELF bss", errp)) {
                return false;
            }
        }
        *high = MAX(*high, s->paddr + s->memsz);
        loaded = true;
    }
    if (!loaded) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "ELF image has no loadable segment");
        return false;
    }
    return true;
}

/* hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h), version 1. */
#define HVM_START_MAGIC 0x336ec578
#define PVH_INFO_ADDR   0x6000ULL
#define PVH_MEMMAP_ADDR 0x6100ULL
#define PVH_MODLIST_ADDR 0x6080ULL

static bool load_pvh(BootImage *bi, GuestRam *ram, const BootParams *p, uint64_t entry,
                     uint64_t kernel_end, GError **errp)
{
    const char *cmdline = p->cmdline ? p->cmdline : "";
    if (strlen(cmdline) >= BOOT_CMDLINE_MAX) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "kernel command line too long");
        return false;
    }
    if (!boot_image_add(bi, ram, BOOT_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1,
                        "command line", errp)) {
        return false;
    }
    g_autoptr(GArray) e820 = e820_build(ram);
    struct { uint64_t addr, size; uint32_t type, reserved; } mm[32];
    guint n = MIN(e820->len, G_N_ELEMENTS(mm));
    for (guint i = 0; i < n; i++) {
        E820Entry *e = &g_array_index(e820, E820Entry, i);
        mm[i].addr = e->addr, mm[i].size = e->size, mm[i].type = e->type, mm[i].reserved = 0;
    }
    struct {
        uint32_t magic, version, flags, nr_modules;
        uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
        uint32_t memmap_entries, reserved;
    } info = {
        .magic = HVM_START_MAGIC, .version = 1, .cmdline_paddr = BOOT_CMDLINE_ADDR,
        .memmap_paddr = PVH_MEMMAP_ADDR, .memmap_entries = n,
    };
    if (!boot_image_add(bi, ram, PVH_MEMMAP_ADDR, mm, n * sizeof(mm[0]), "PVH memmap", errp) ||
        !boot_image_add(bi, ram, PVH_INFO_ADDR, &info, sizeof(info), "PVH start info", errp)) {
        return false;
    }
    if (p->initrd) {
        /* The initrd is module 0, placed as high as possible below 4 GiB. */
        g_autoptr(GBytes) rd = loader_read_file(p->initrd, ram->size, "initrd", errp);
        if (!rd) {
            return false;
        }
        gsize size = g_bytes_get_size(rd);
        uint64_t addr = ram->below_4g > size ? (ram->below_4g - size) & ~0xfffULL : 0;
        if (size == 0 || addr < kernel_end) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "initrd '%s' is %s", p->initrd,
                        size ? "too large for guest RAM" : "empty");
            return false;
        }
        struct { uint64_t paddr, size, cmdline_paddr, reserved; } mod = { addr, size, 0, 0 };
        if (!boot_image_add_bytes(bi, ram, addr, rd, 0, size, "initrd", errp) ||
            !boot_image_add(bi, ram, PVH_MODLIST_ADDR, &mod, sizeof(mod), "PVH module list",
                            errp)) {
            return false;
        }
        info.nr_modules = 1;
        info.modlist_paddr = PVH_MODLIST_ADDR;
        if (!boot_image_add(bi, ram, PVH_INFO_ADDR, &info, sizeof(info), "PVH start info",
                            errp)) {
            return false;
        }
    }
    bi->protocol = BOOT_PVH;
    bi->entry = entry;
    bi->info = PVH_INFO_ADDR;
    return true;
}

bool loader_load_elf_kernel(BootImage *bi, GuestRam *ram, const BootParams *p,
                            const uint8_t *img, size_t len, GError **errp)
{
    uint64_t entry, high, pvh;
    if (!elf_load(bi, ram, img, len, &entry, &high, &pvh, errp)) {
        return false;
    }
    if (pvh) {
        return load_pvh(bi, ram, p, pvh, high, errp);
    }
    if (img[EI_CLASS] != ELFCLASS64) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "32-bit ELF kernel without multiboot header or PVH note");
        return false;
    }
    /* A vmlinux: synthesize the setup header a bzImage would carry. */
    uint8_t hdr[0x290 - 0x1f1] = { 0 };
#define H(off) (hdr + (off) - 0x1f1)
    H(0x1fe)[0] = 0x55, H(0x1fe)[1] = 0xaa;
    memcpy(H(0x202), "HdrS", 4);
    H(0x206)[0] = 0x0c, H(0x206)[1] = 0x02;             /* protocol 2.12 */
    uint32_t cmdline_size = BOOT_CMDLINE_MAX - 1, initrd_max = 0x37ffffff;
    memcpy(H(0x238), &cmdline_size, 4);
    memcpy(H(0x22c), &initrd_max, 4);
    uint32_t align = 0x1000000;
    memcpy(H(0x230), &align, 4);
#undef H
    if (!linux_setup_boot_params(bi, ram, p, hdr, sizeof(hdr), high, initrd_max, errp)) {
        return false;
    }
    bi->protocol = BOOT_LINUX64;
    bi->entry = entry;
    return true;
}
