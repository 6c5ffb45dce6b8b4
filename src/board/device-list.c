/* Every device type Tern knows: one line each. */
#include "board/device.h"

#define TERN_DEVICE_TYPES(X) \
    X(isa_serial_info)       \
    X(isa_debug_exit_info)   \
    X(i8042_info)            \
    X(port92_info)           \
    X(mc146818rtc_info)      \
    X(isa_pit_info)          \
    X(hpet_info)             \
    X(i440fx_info)           \
    X(piix3_info)            \
    X(piix3_ide_info)        \
    X(piix4_pm_info)         \
    X(isa_pvpanic_info)      \
    X(pc_testdev_info)       \
    X(pci_testdev_info)      \
    X(virtio_blk_pci_info)   \
    X(fw_cfg_io_info)

#define DECLARE(info) extern const DeviceInfo info;
TERN_DEVICE_TYPES(DECLARE)

#define ENTRY(info) &info,
const DeviceInfo *const tern_device_types[] = { TERN_DEVICE_TYPES(ENTRY) };

const guint tern_device_type_count = G_N_ELEMENTS(tern_device_types);
