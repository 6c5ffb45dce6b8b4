#include "board/boot-cpu.h"
#include "util/error.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#define GDT_CODE32 0x08
#define GDT_CODE64 0x10   /* Linux's __BOOT_CS */
#define GDT_DATA   0x18   /* Linux's __BOOT_DS */
#define GDT_TSS    0x20

#define CR0_PE 0x1
#define CR0_ET 0x10
#define CR0_NE 0x20
#define CR0_PG 0x80000000u
#define CR4_PAE 0x20
#define EFER_LME 0x100
#define EFER_LMA 0x400

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 0x1

static const uint64_t gdt[] = {
    0,
    0x00cf9b000000ffffULL,   /* 0x08: 32-bit code, flat */
    0x00af9b000000ffffULL,   /* 0x10: 64-bit code */
    0x00cf93000000ffffULL,   /* 0x18: data, flat */
    0x00008b0000000fffULL,   /* 0x20: TSS (busy), only to satisfy VMX entry checks */
};

bool boot_cpu_prepare_tables(BootImage *bi, GuestRam *ram, GError **errp)
{
    if (bi->protocol == BOOT_NONE) {
        return true;
    }
    if (!boot_image_add(bi, ram, BOOT_GDT_ADDR, gdt, sizeof(gdt), "boot GDT", errp)) {
        return false;
    }
    if (bi->protocol != BOOT_LINUX64) {
        return true;
    }
    /* Identity map of the first 4 GiB with 2 MiB pages: PML4, PDPT, 4 PDs. */
    g_autofree uint64_t *pt = g_malloc0(6 * 4096);
    uint64_t *pml4 = pt, *pdpt = pt + 512, *pd = pt + 1024;
    pml4[0] = (BOOT_PML4_ADDR + 0x1000) | 0x3;
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (BOOT_PML4_ADDR + 0x2000 + i * 0x1000) | 0x3;
    }
    for (uint64_t i = 0; i < 4 * 512; i++) {
        pd[i] = (i << 21) | 0x83;   /* present, writable, 2 MiB */
    }
    return boot_image_add(bi, ram, BOOT_PML4_ADDR, pt, 6 * 4096, "boot page tables", errp);
}

static struct kvm_segment seg_from_gdt(uint16_t sel)
{
    uint64_t d = gdt[sel >> 3];
    struct kvm_segment s = {
        .base = ((d >> 16) & 0xffffff) | ((d >> 56) << 24),
        .limit = (d & 0xffff) | ((d >> 32) & 0xf0000),
        .selector = sel,
        .type = (d >> 40) & 0xf,
        .present = (d >> 47) & 1,
        .dpl = (d >> 45) & 3,
        .db = (d >> 54) & 1,
        .s = (d >> 44) & 1,
        .l = (d >> 53) & 1,
        .g = (d >> 55) & 1,
    };
    if (s.g) {
        s.limit = (s.limit << 12) | 0xfff;
    }
    return s;
}

static bool fail_errno(GError **errp, const char *what)
{
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s: %s", what, g_strerror(errno));
    return false;
}

bool boot_cpu_setup_bsp(int fd, const BootImage *bi, GError **errp)
{
    if (bi->protocol == BOOT_NONE) {
        return true;
    }
    struct kvm_sregs sregs;
    if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0) {
        return fail_errno(errp, "KVM_GET_SREGS");
    }
    struct kvm_regs regs = { .rflags = 0x2, .rip = bi->entry };
    bool long_mode = bi->protocol == BOOT_LINUX64;

    sregs.gdt.base = BOOT_GDT_ADDR;
    sregs.gdt.limit = sizeof(gdt) - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;
    sregs.cs = seg_from_gdt(long_mode ? GDT_CODE64 : GDT_CODE32);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg_from_gdt(GDT_DATA);
    sregs.tr = seg_from_gdt(GDT_TSS);
    sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (long_mode) {
        sregs.cr0 |= CR0_PG;
        sregs.cr3 = BOOT_PML4_ADDR;
        sregs.cr4 = CR4_PAE;
        sregs.efer = EFER_LME | EFER_LMA;
        regs.rsi = bi->info;
        regs.rsp = BOOT_STACK_TOP;
    } else if (bi->protocol == BOOT_MULTIBOOT) {
        regs.rax = 0x2BADB002;
        regs.rbx = bi->info;
    } else {
        regs.rbx = bi->info;
    }
    if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0) {
        return fail_errno(errp, "KVM_SET_SREGS");
    }
    if (ioctl(fd, KVM_SET_REGS, &regs) < 0) {
        return fail_errno(errp, "KVM_SET_REGS");
    }
    return true;
}

bool boot_cpu_setup_common(int fd, GError **errp)
{
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
    if (ioctl(fd, KVM_SET_FPU, &fpu) < 0) {
        return fail_errno(errp, "KVM_SET_FPU");
    }
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry entries[1];
    } msrs = {
        .hdr.nmsrs = 1,
        .entries[0] = { .index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING },
    };
    if (ioctl(fd, KVM_SET_MSRS, &msrs) < 0) {
        return fail_errno(errp, "KVM_SET_MSRS");
    }
    /* LINT0 as ExtINT (the 8259 behind it), LINT1 as NMI: what the MP
     * table announces and what a BIOS would have programmed. */
    struct kvm_lapic_state lapic;
    if (ioctl(fd, KVM_GET_LAPIC, &lapic) < 0) {
        return fail_errno(errp, "KVM_GET_LAPIC");
    }
    uint32_t lint0 = 0x700, lint1 = 0x400;
    memcpy(&lapic.regs[0x350], &lint0, 4);
    memcpy(&lapic.regs[0x360], &lint1, 4);
    if (ioctl(fd, KVM_SET_LAPIC, &lapic) < 0) {
        return fail_errno(errp, "KVM_SET_LAPIC");
    }
    return true;
}
