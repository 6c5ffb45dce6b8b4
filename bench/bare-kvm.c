/* bench/bare-kvm: the smallest KVM loop that runs a Tern guest payload.
 *
 * usage: bare-kvm [-m MiB] [-irqchip] ELF [CMDLINE]
 *
 * The baseline for bench/mmio: no devices, no threads, no event loop.
 * - one VM, one vCPU, no in-kernel irqchip; RAM is one memory slot at 0
 * - -irqchip: also KVM_CREATE_IRQCHIP + KVM_CREATE_PIT2 (what a PC board
 *   VMM has), to separate the in-kernel devices' cost from the VMM's own
 * - loads the ELF32 PT_LOAD segments at their physical addresses (bss zeroed)
 * - enters in the multiboot v1 state: 32-bit flat protected mode, paging
 *   off, EAX=0x2BADB002, EBX=a multiboot info at 0x9000 with mem_lower/
 *   mem_upper (flag 0) and the command line (flag 2) at 0x9100
 * - port I/O: COM1 THR (0x3f8) goes to stdout, LSR (0x3fd) reads 0x60
 *   (THRE|TEMT), isa-debug-exit at 0xf4 exits with (V << 1) | 1, every other
 *   read returns 0xff and every other write is ignored
 * - MMIO: counted (and dropped); writes to the doorbell 0xd0000000 are
 *   timestamped; reads return all ones
 * - KVM_EXIT_SHUTDOWN (triple fault) or KVM_EXIT_HLT ends the run, exit 0
 *
 * At the end one line goes to stderr:
 *   bare-kvm: mmio_exits=N io_exits=N ready_to_done_s=S exit=shutdown
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MB_INFO_ADDR    0x9000u
#define MB_CMDLINE_ADDR 0x9100u
#define MB_BOOT_MAGIC   0x2BADB002u
#define DOORBELL_ADDR   0xd0000000u

struct elf32_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

static void die(const char *what)
{
    fprintf(stderr, "bare-kvm: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void fatal(const char *msg)
{
    fprintf(stderr, "bare-kvm: %s\n", msg);
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t load_elf(const char *path, uint8_t *ram, uint64_t ram_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        die("fstat");
    uint8_t *img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (img == MAP_FAILED)
        die("mmap kernel");
    close(fd);

    const struct elf32_ehdr *eh = (const void *)img;
    if ((size_t)st.st_size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) != 0 ||
        eh->ident[4] != 1 /* ELFCLASS32 */ || eh->machine != 3 /* EM_386 */)
        fatal("not an ELF32 i386 image");
    if (eh->phoff + (uint64_t)eh->phnum * sizeof(struct elf32_phdr) > (uint64_t)st.st_size)
        fatal("program headers outside the file");

    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf32_phdr *ph = (const void *)(img + eh->phoff + i * sizeof(*ph));
        if (ph->type != 1 /* PT_LOAD */ || ph->memsz == 0)
            continue;
        if (ph->filesz > ph->memsz || (uint64_t)ph->offset + ph->filesz > (uint64_t)st.st_size ||
            (uint64_t)ph->paddr + ph->memsz > ram_size)
            fatal("PT_LOAD segment does not fit");
        memcpy(ram + ph->paddr, img + ph->offset, ph->filesz);
        memset(ram + ph->paddr + ph->filesz, 0, ph->memsz - ph->filesz);
    }
    uint32_t entry = eh->entry;
    munmap(img, st.st_size);
    return entry;
}

static void write_multiboot_info(uint8_t *ram, uint64_t ram_size, const char *cmdline)
{
    uint32_t info[22] = {0};       /* multiboot v1 info, 88 bytes */
    info[0] = 1u << 0;             /* mem_lower/mem_upper valid */
    info[1] = 640;                 /* mem_lower, KiB */
    info[2] = (uint32_t)((ram_size - 0x100000) / 1024); /* mem_upper, KiB above 1 MiB */
    size_t len = strlen(cmdline);
    if (len > 0xe00)
        fatal("command line too long");
    memcpy(ram + MB_CMDLINE_ADDR, cmdline, len + 1);
    info[0] |= 1u << 2;            /* cmdline valid */
    info[4] = MB_CMDLINE_ADDR;
    memcpy(ram + MB_INFO_ADDR, info, sizeof(info));
}

static void flat_segment(struct kvm_segment *s, uint8_t type)
{
    memset(s, 0, sizeof(*s));
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = type & 8 ? 0x08 : 0x10;
    s->type = type;  /* 0xb: code exec/read accessed, 0x3: data read/write accessed */
    s->present = 1;
    s->dpl = 0;
    s->db = 1;
    s->s = 1;
    s->l = 0;
    s->g = 1;
}

int main(int argc, char **argv)
{
    double t_start = now_s();
    uint64_t ram_mib = 256;
    int irqchip = 0;
    int argi = 1;
    for (;;) {
        if (argi + 1 < argc && strcmp(argv[argi], "-m") == 0) {
            ram_mib = strtoull(argv[argi + 1], NULL, 0);
            argi += 2;
        } else if (argi < argc && strcmp(argv[argi], "-irqchip") == 0) {
            irqchip = 1;
            argi++;
        } else {
            break;
        }
    }
    if (argi >= argc || ram_mib < 2 || ram_mib > 3072) {
        fprintf(stderr, "usage: bare-kvm [-m MiB] [-irqchip] ELF [CMDLINE]\n");
        return 2;
    }
    const char *kernel = argv[argi];
    const char *cmdline = argi + 1 < argc ? argv[argi + 1] : kernel;
    uint64_t ram_size = ram_mib << 20;

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm");
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        fatal("unexpected KVM API version");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");
    /* Intel hosts want a TSS region; harmless elsewhere, so ignore errors. */
    (void)ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);

    if (irqchip) {
        struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
        if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
            die("KVM_CREATE_IRQCHIP");
        if (ioctl(vm, KVM_CREATE_PIT2, &pit) < 0)
            die("KVM_CREATE_PIT2");
    }

    uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED)
        die("mmap guest RAM");
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = ram_size,
        .userspace_addr = (uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    uint32_t entry = load_elf(kernel, ram, ram_size);
    write_multiboot_info(ram, ram_size, cmdline);

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");

    /* The guest CPUID must advertise long mode, or KVM refuses EFER.LME. */
    int ncpuid = 256;
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + ncpuid * sizeof(struct kvm_cpuid_entry2));
    if (!cpuid)
        fatal("out of memory");
    cpuid->nent = ncpuid;
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
        die("KVM_GET_SUPPORTED_CPUID");
    if (ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0)
        die("KVM_SET_CPUID2");
    free(cpuid);

    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run))
        die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS");
    flat_segment(&sregs.cs, 0xb);
    flat_segment(&sregs.ds, 0x3);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.cr0 = 0x11;          /* PE | ET, paging off */
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS");

    struct kvm_regs regs = {0};
    regs.rip = entry;
    regs.rax = MB_BOOT_MAGIC;
    regs.rbx = MB_INFO_ADDR;
    regs.rsp = 0x8ff0;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");

    char outbuf[4096];
    size_t outlen = 0;
    uint64_t mmio_exits = 0, io_exits = 0;
    double t_ready = 0, t_done = 0;
    int status = 0;
    const char *how = NULL;

    while (!how) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_MMIO:
            mmio_exits++;
            if (run->mmio.is_write) {
                if (run->mmio.phys_addr == DOORBELL_ADDR) {
                    uint32_t v;
                    memcpy(&v, run->mmio.data, 4);
                    if (v == 1)
                        t_ready = now_s();
                    else if (v == 2)
                        t_done = now_s();
                }
            } else {
                memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
            }
            break;
        case KVM_EXIT_IO: {
            io_exits++;
            uint8_t *data = (uint8_t *)run + run->io.data_offset;
            for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
                if (run->io.direction == KVM_EXIT_IO_OUT) {
                    if (run->io.port == 0x3f8) {
                        outbuf[outlen++] = (char)data[0];
                        if (data[0] == '\n' || outlen == sizeof(outbuf)) {
                            (void)!write(1, outbuf, outlen);
                            outlen = 0;
                        }
                    } else if (run->io.port == 0xf4) {
                        uint32_t v = 0;
                        memcpy(&v, data, run->io.size < 4 ? run->io.size : 4);
                        status = (int)(((v << 1) | 1) & 0xff);
                        how = "debug-exit";
                    }
                } else {
                    memset(data, run->io.port == 0x3fd ? 0x60 : 0xff, run->io.size);
                }
            }
            break;
        }
        case KVM_EXIT_SHUTDOWN:
            how = "shutdown";
            break;
        case KVM_EXIT_HLT:
            how = "hlt";
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            fprintf(stderr, "bare-kvm: KVM internal error, suberror %u\n", run->internal.suberror);
            return 3;
        case KVM_EXIT_FAIL_ENTRY:
            fprintf(stderr, "bare-kvm: entry failed, reason 0x%llx\n",
                    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            return 3;
        default:
            fprintf(stderr, "bare-kvm: unexpected exit reason %u\n", run->exit_reason);
            return 3;
        }
    }
    if (outlen)
        (void)!write(1, outbuf, outlen);
    double t_end = now_s();
    fprintf(stderr, "bare-kvm: mmio_exits=%llu io_exits=%llu ready_to_done_s=%.6f "
            "main_to_exit_s=%.6f exit=%s status=%d\n",
            (unsigned long long)mmio_exits, (unsigned long long)io_exits,
            t_ready && t_done ? t_done - t_ready : 0.0, t_end - t_start, how, status);
    return status;
}
