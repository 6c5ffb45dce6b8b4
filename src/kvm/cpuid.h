/* CPUID for the guest: what KVM supports, reduced to the -cpu model and
 * adjusted by +feat/-feat/feat=on|off, then given per-vCPU APIC IDs. */
#pragma once
#include <glib.h>
#include <linux/kvm.h>
#include <stdbool.h>

/* tsc_deadline: KVM emulates the LAPIC TSC-deadline timer
 * (KVM_CAP_TSC_DEADLINE_TIMER), which KVM_GET_SUPPORTED_CPUID does not list. */
struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported, const char *model,
                               GPtrArray *flags, bool tsc_deadline, GError **errp);
/* A copy of tmpl for one vCPU: its APIC ID and the package topology
 * (threads per core, cores per package, as bit widths and counts). */
typedef struct CpuTopology {
    unsigned threads, cores, dies;
} CpuTopology;
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *tmpl, unsigned apic_id,
                                  const CpuTopology *topo);
/* Looks up a feature name ("avx2", "x2apic"); false if unknown. */
bool cpuid_feature_known(const char *name);
