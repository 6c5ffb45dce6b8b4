/* The i440FX host bridge (Intel 82441FX PMC), PCI function 00.0: it owns
 * the root bus and the configuration ports 0xcf8/0xcfc.
 *
 * Its device-specific registers hold what QEMU 7.2 puts there, with
 * QEMU's masks (every bit of 0x40-0xff writable, no SMRAM D_LCK): the PAM
 * registers (0x59-0x5f) and SMRAM (0x72) are stored only. Their effect on
 * memory — routing 0xc0000-0xfffff between RAM and the PCI/ROM side, and
 * opening SMRAM at 0xa0000 — is not modelled yet: Tern boots without
 * firmware, so that range stays RAM whatever the guest writes here. A
 * config_write hook is the place for it. */
#include "board/pci.h"
#include "board/pc.h"
#include "util/error.h"

#define I440FX_DRAMC 0x57      /* DRAM control */
#define I440FX_PAM0  0x59      /* PAM0-PAM6: 0x59-0x5f */
#define I440FX_SMRAM 0x72
#define SMRAM_C_BASE_SEG 0x02  /* compatible SMRAM at 0xa0000 */

typedef struct I440fxState {
    PciDevice pci;
    PciBus bus;
} I440fxState;

extern const DeviceInfo i440fx_info;

PciBus *pci_root_bus(Machine *m)
{
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        if (d->info == &i440fx_info) {
            return &((I440fxState *)d)->bus;
        }
    }
    return NULL;
}

static const PciId i440fx_id = {
    .vendor = PCI_VENDOR_ID_INTEL,
    .device = 0x1237,
    .revision = 0x02,
    .class_id = 0x0600,        /* host bridge */
};

static bool i440fx_realize(DeviceState *dev, GError **errp)
{
    I440fxState *s = (I440fxState *)dev;
    pci_bus_init(&s->bus, dev->machine);
    if (!pci_device_init(&s->pci, &s->bus, PCI_DEVFN(0, 0), &i440fx_id, NULL, errp)) {
        return false;
    }
    /* Power-on values (QEMU 7.2); a PCI reset leaves them alone. */
    s->pci.config[I440FX_DRAMC] = 0x10;
    s->pci.config[I440FX_SMRAM] = SMRAM_C_BASE_SEG;
    if (!pci_bus_map_config_ports(&s->bus, errp)) {
        pci_bus_unmap_config_ports(&s->bus);
        pci_device_exit(&s->pci);
        return false;
    }
    return true;
}

static void i440fx_unrealize(DeviceState *dev)
{
    I440fxState *s = (I440fxState *)dev;
    pci_bus_unmap_config_ports(&s->bus);
    pci_device_exit(&s->pci);
}

static void i440fx_reset(DeviceState *dev)
{
    pci_device_reset(&((I440fxState *)dev)->pci);
}

static bool i440fx_post_load(void *obj, GError **errp)
{
    return pci_device_post_load(&((I440fxState *)obj)->pci, errp);
}

static const StateField i440fx_fields[] = {
    PCI_STATE_CONFIG(I440fxState, pci, 1),
    STATE_UINT(I440fxState, bus.config_addr),
    STATE_END,
};

static const StateDescription i440fx_state = {
    .name = "i440FX", .version = 1, .fields = i440fx_fields, .post_load = i440fx_post_load,
};

const DeviceInfo i440fx_info = {
    .name = "i440FX",
    .parent = "pci-device",
    .desc = "Host bridge",
    .instance_size = sizeof(I440fxState),
    .realize = i440fx_realize,
    .unrealize = i440fx_unrealize,
    .reset = i440fx_reset,
    .state = &i440fx_state,
};
