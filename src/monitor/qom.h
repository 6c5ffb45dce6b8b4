/* A QOM-like view of the machine for qom-list/qom-get/qom-set:
 * /machine, /machine/peripheral/ID, /machine/unattached/device[N], ... */
#pragma once
