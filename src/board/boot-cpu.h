/* The state a vCPU starts in for each boot protocol, set straight into
 * KVM (no firmware runs): flat 32-bit protected mode for multiboot and PVH,
 * 64-bit long mode with identity page tables for Linux. */
#pragma once
#include <glib.h>
#include <stdbool.h>

#include "board/loader.h"
#include "kvm/memory.h"

/* Writes the boot GDT (and page tables for 64-bit entry) as boot blobs. */
bool boot_cpu_prepare_tables(BootImage *bi, GuestRam *ram, GError **errp);
/* Sets the BSP's registers for bi's protocol (nothing for BOOT_NONE). */
bool boot_cpu_setup_bsp(int vcpu_fd, const BootImage *bi, GError **errp);
/* Per-vCPU set-up for every protocol: FPU, MSRs, LAPIC LINT0/LINT1. */
bool boot_cpu_setup_common(int vcpu_fd, GError **errp);
