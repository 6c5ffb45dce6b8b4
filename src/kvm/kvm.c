#define G_LOG_DOMAIN "tern-kvm"
#include "kvm/kvm.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>


int kvm_check_extension(KvmVm *vm, int cap)
{
    int fd = vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd;
    int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

static const struct {
    int cap;
    const char *name;
} required_caps[] = {
    { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
    { KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
    { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
    { KVM_CAP_SYNC_MMU, "KVM_CAP_SYNC_MMU" },
};

static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd)
{
    /* 256 is the kernel's KVM_MAX_CPUID_ENTRIES: one call, no E2BIG retry. */
    for (int n = 256; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + n * sizeof(c->entries[0]));
        c->nent = n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            return c;
        }
        g_free(c);
        if (errno != E2BIG) {
            return NULL;
        }
    }
    return NULL;
}

bool kvm_vm_init(KvmVm *vm, const char *dev_path, GError **errp)
{
    memset(vm, 0, sizeof(*vm));
    vm->kvm_fd = vm->vm_fd = -1;
    dev_path = dev_path ? dev_path : "/dev/kvm";

    vm->kvm_fd = open(dev_path, O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "failed to initialize kvm: Could not access KVM kernel module %s: %s",
                    dev_path, g_strerror(errno));
        return false;
    }
    int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "failed to initialize kvm: %s is not a KVM device with API version %d",
                    dev_path, KVM_API_VERSION);
        goto fail;
    }
    for (guint i = 0; i < G_N_ELEMENTS(required_caps); i++) {
        if (!kvm_check_extension(vm, required_caps[i].cap)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_KVM_MISSING_CAP,
                        "failed to initialize kvm: missing capability %s",
                        required_caps[i].name);
            goto fail;
        }
    }
    do {
        vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    } while (vm->vm_fd < 0 && errno == EINTR);
    if (vm->vm_fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "failed to initialize kvm: KVM_CREATE_VM: %s", g_strerror(errno));
        goto fail;
    }
    vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    vm->max_vcpus = kvm_check_extension(vm, KVM_CAP_MAX_VCPUS);
    if (vm->max_vcpus <= 0) {
        vm->max_vcpus = kvm_check_extension(vm, KVM_CAP_NR_VCPUS);
    }
    vm->supported_cpuid = get_supported_cpuid(vm->kvm_fd);
    if (vm->vcpu_mmap_size <= 0 || !vm->supported_cpuid) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "failed to initialize kvm: cannot query vCPU size or CPUID");
        goto fail;
    }
    /* Intel needs these pages below 4 GiB for real-mode emulation. */
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "failed to initialize kvm: KVM_SET_TSS_ADDR: %s", g_strerror(errno));
        goto fail;
    }
    uint64_t identity = KVM_IDENTITY_MAP_ADDR;
    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity);

    if (kvm_check_extension(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)) {
        struct kvm_enable_cap cap = {
            .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
            .args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
        };
        vm->manual_dirty_protect = ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
    }
    return true;

fail:
    kvm_vm_destroy(vm);
    return false;
}

void kvm_vm_destroy(KvmVm *vm)
{
    if (vm->vm_fd >= 0) {
        close(vm->vm_fd);
    }
    if (vm->kvm_fd >= 0) {
        close(vm->kvm_fd);
    }
    g_free(vm->supported_cpuid);
    vm->supported_cpuid = NULL;
    kvm_irq_routes_free(vm);
    vm->vm_fd = vm->kvm_fd = -1;
}

bool kvm_vm_create_irqchip(KvmVm *vm, GError **errp)
{
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_CREATE_IRQCHIP: %s",
                    g_strerror(errno));
        return false;
    }
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_CREATE_PIT2: %s",
                    g_strerror(errno));
        return false;
    }

    return kvm_irq_routes_init(vm, errp);
}

void kvm_vm_set_irq(KvmVm *vm, unsigned gsi, int level)
{
    struct kvm_irq_level irq = { .irq = gsi, .level = level };
    if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
        g_warning("KVM_IRQ_LINE %u: %s", gsi, g_strerror(errno));
    }
}

static bool set_region(KvmVm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                       uint32_t flags, GError **errp)
{
    struct kvm_userspace_memory_region region = {
        .slot = slot,
        .flags = flags,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)host,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "cannot set up guest memory slot %u (0x%" G_GINT64_MODIFIER "x+0x%"
                    G_GINT64_MODIFIER "x): %s", slot, gpa, size, g_strerror(errno));
        return false;
    }
    return true;
}

void kvm_vm_set_pit_hpet_legacy(KvmVm *vm, bool on)
{
    struct kvm_pit_state2 pit;
    if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0) {
        g_warning("KVM_GET_PIT2: %s", g_strerror(errno));
        return;
    }
    pit.flags = on ? pit.flags | KVM_PIT_FLAGS_HPET_LEGACY : pit.flags & ~KVM_PIT_FLAGS_HPET_LEGACY;
    if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0) {
        g_warning("KVM_SET_PIT2: %s", g_strerror(errno));
    }
}

bool kvm_vm_set_memory(KvmVm *vm, unsigned slot, uint64_t gpa, uint64_t size,
                       void *host, bool log_dirty, GError **errp)
{
    return set_region(vm, slot, gpa, size, host, log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0, errp);
}

bool kvm_vm_set_rom(KvmVm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                    GError **errp)
{
    if (kvm_check_extension(vm, KVM_CAP_READONLY_MEM) <= 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM has no read-only memory slots");
        return false;
    }
    return set_region(vm, slot, gpa, size, host, KVM_MEM_READONLY, errp);
}

struct KvmIrqchipState {
    struct kvm_irqchip chips[3];
    struct kvm_pit_state2 pit;
};

KvmIrqchipState *kvm_irqchip_save(KvmVm *vm)
{
    KvmIrqchipState *s = g_new0(KvmIrqchipState, 1);
    for (int i = 0; i < 3; i++) {
        s->chips[i].chip_id = i;
        ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &s->chips[i]);
    }
    ioctl(vm->vm_fd, KVM_GET_PIT2, &s->pit);
    return s;
}

void kvm_irqchip_restore(KvmVm *vm, const KvmIrqchipState *s)
{
    for (int i = 0; i < 3; i++) {
        ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &s->chips[i]);
    }
    ioctl(vm->vm_fd, KVM_SET_PIT2, &s->pit);
}
