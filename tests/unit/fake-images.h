/* Synthetic kernel images for loader tests: a bzImage with just the setup
 * header fields Tern reads (Documentation/arch/x86/boot.rst), multiboot v1
 * "a.out kludge" images, and ELF files built field by field. */
#pragma once
#include <elf.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

static inline void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static inline uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* The byte at offset i of a protected-mode image: recognisable, not
 * constant. */
static inline uint8_t pm_byte(size_t i)
{
    return (uint8_t)(i * 7 + 3 + (i >> 8));
}

typedef struct BzSpec {
    uint8_t setup_sects;        /* 0 means 4, as in the boot protocol */
    size_t pm_size;             /* protected-mode code after the setup */
    uint16_t version;
    uint16_t xloadflags;
    uint16_t boot_flag;
    uint32_t cmdline_size;
    uint32_t initrd_addr_max;
    uint32_t init_size;
} BzSpec;

static inline BzSpec bz_default(void)
{
    return (BzSpec){
        .setup_sects = 4,
        .pm_size = 0x3000 + 0x123,
        .version = 0x020f,
        .xloadflags = 0x1,          /* XLF_KERNEL_64 */
        .boot_flag = 0xaa55,
        .cmdline_size = 2047,
        .initrd_addr_max = 0x7fffffff,
        .init_size = 0,
    };
}

static inline GByteArray *bz_build(const BzSpec *s)
{
    size_t setup = ((size_t)(s->setup_sects ? s->setup_sects : 4) + 1) * 512;
    size_t len = setup + s->pm_size;
    GByteArray *b = g_byte_array_sized_new(len);
    g_byte_array_set_size(b, len);
    uint8_t *img = b->data;
    memset(img, 0, setup);
    img[0x1f1] = s->setup_sects;
    put16(img + 0x1fe, s->boot_flag);
    img[0x200] = 0xeb;                  /* jmp: the header ends at 0x202 + img[0x201] */
    img[0x201] = 0x66;
    memcpy(img + 0x202, "HdrS", 4);
    put16(img + 0x206, s->version);
    img[0x211] = 0x01;                  /* LOADED_HIGH */
    put32(img + 0x22c, s->initrd_addr_max);
    put16(img + 0x236, s->xloadflags);
    put32(img + 0x238, s->cmdline_size);
    put32(img + 0x260, s->init_size);
    for (size_t i = 0; i < s->pm_size; i++) {
        img[setup + i] = pm_byte(i);
    }
    return b;
}

static inline size_t bz_setup_size(const BzSpec *s)
{
    return ((size_t)(s->setup_sects ? s->setup_sects : 4) + 1) * 512;
}

/* Multiboot v1 header with the a.out kludge (flags bit 16). */
#define MB_MAGIC 0x1BADB002u

typedef struct MbSpec {
    size_t file_len;
    size_t header_off;          /* 4-byte aligned, < 8 KiB */
    uint32_t flags;
    uint32_t load_addr;
    uint32_t load_end;          /* 0: to the end of the file */
    uint32_t bss_end;
    uint32_t entry;
} MbSpec;

static inline void mb_put_header(uint8_t *p, uint32_t flags)
{
    put32(p, MB_MAGIC);
    put32(p + 4, flags);
    put32(p + 8, -(MB_MAGIC + flags));
}

static inline GByteArray *mb_build(const MbSpec *s)
{
    GByteArray *b = g_byte_array_sized_new(s->file_len);
    g_byte_array_set_size(b, s->file_len);
    for (size_t i = 0; i < s->file_len; i++) {
        b->data[i] = pm_byte(i);
    }
    uint8_t *h = b->data + s->header_off;
    mb_put_header(h, s->flags);
    put32(h + 12, s->load_addr + s->header_off);    /* header_addr */
    put32(h + 16, s->load_addr);
    put32(h + 20, s->load_end);
    put32(h + 24, s->bss_end);
    put32(h + 28, s->entry);
    return b;
}

/* ELF64 with up to 4 program headers, segments' file data following. */
typedef struct ElfSeg {
    uint32_t type;
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
    const void *data;           /* NULL: pm_byte() pattern */
} ElfSeg;

static inline GByteArray *elf64_build(uint64_t entry, const ElfSeg *segs, unsigned n)
{
    size_t off = sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr);
    size_t len = off;
    for (unsigned i = 0; i < n; i++) {
        len += segs[i].filesz;
    }
    GByteArray *b = g_byte_array_sized_new(len);
    g_byte_array_set_size(b, len);
    memset(b->data, 0, len);
    Elf64_Ehdr eh = {
        .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
        .e_entry = entry, .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = n,
    };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(b->data, &eh, sizeof(eh));
    for (unsigned i = 0; i < n; i++) {
        Elf64_Phdr ph = {
            .p_type = segs[i].type, .p_offset = off, .p_vaddr = segs[i].paddr,
            .p_paddr = segs[i].paddr, .p_filesz = segs[i].filesz, .p_memsz = segs[i].memsz,
            .p_flags = PF_R | PF_X, .p_align = 0x1000,
        };
        memcpy(b->data + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr), &ph, sizeof(ph));
        for (uint64_t k = 0; k < segs[i].filesz; k++) {
            b->data[off + k] = segs[i].data ? ((const uint8_t *)segs[i].data)[k] : pm_byte(k);
        }
        off += segs[i].filesz;
    }
    return b;
}

static inline Elf64_Ehdr *elf64_ehdr(GByteArray *b)
{
    return (Elf64_Ehdr *)b->data;
}

static inline Elf64_Phdr *elf64_phdr(GByteArray *b, unsigned i)
{
    return (Elf64_Phdr *)(b->data + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}
