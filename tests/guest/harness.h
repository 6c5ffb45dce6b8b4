/* Runs a guest payload in an in-process Tern machine, with a recording
 * "doorbell" MMIO device at 0xd0000000 so tests can act at exact points
 * in the guest's run (the vCPU is stopped in the exit while the hook runs). */
#pragma once
#include "board/pc.h"

#define DOORBELL_ADDR 0xd0000000ULL
#define RESULTS_ADDR 0x5000ULL

typedef struct Harness Harness;
typedef void (*DoorbellHook)(Harness *h, uint32_t value);

struct Harness {
    MachineConfig *cfg;
    Machine *m;
    DoorbellHook hook;
    void *opaque;
    uint64_t doorbells;
    uint64_t data_writes;       /* writes to DOORBELL_ADDR + 0x10 */
    uint64_t data_mismatches;   /* data writes whose value != their index */
    uint32_t last_doorbell;
};

/* Builds a machine from Tern command-line arguments (NULL-terminated). */
Harness *harness_new(const char *payload, const char *append, ...)
    G_GNUC_NULL_TERMINATED;
void harness_free(Harness *h);
/* Runs until the machine quits; returns its exit status. */
int harness_run(Harness *h);
const char *payload_path(const char *name);
uint64_t harness_read_u64(Harness *h, uint64_t gpa);
