/* KVM_IOEVENTFD (api.rst 4.59): a guest write to an address signals an
 * eventfd inside the kernel instead of exiting to user space. */
#include "kvm/kvm.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

bool kvm_vm_ioeventfd(KvmVm *vm, int fd, uint64_t addr, unsigned len, bool pio, bool datamatch,
                      uint64_t data, bool assign, GError **errp)
{
    struct kvm_ioeventfd ioe = {
        .datamatch = datamatch ? data : 0,
        .addr = addr,
        .len = len,
        .fd = fd,
        .flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (datamatch ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };
    if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioe) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_IOEVENTFD %s at 0x%" G_GINT64_MODIFIER
                    "x: %s", assign ? "assign" : "deassign", addr, strerror(errno));
        return false;
    }
    return true;
}
