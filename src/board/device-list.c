/* Every device type Tern knows, one line each. */
#include "board/device.h"

extern const DeviceInfo isa_serial_info;
extern const DeviceInfo isa_debug_exit_info;
extern const DeviceInfo i8042_info;
extern const DeviceInfo port92_info;
extern const DeviceInfo mc146818rtc_info;
extern const DeviceInfo piix4_pm_info;

const DeviceInfo *const tern_device_types[] = {
    &isa_serial_info,
    &isa_debug_exit_info,
    &i8042_info,
    &port92_info,
    &mc146818rtc_info,
    &piix4_pm_info,
};

const guint tern_device_type_count = G_N_ELEMENTS(tern_device_types);
