/* query-pci: the root bus and its functions, as QEMU 7.2 reports them. */
#include "board/pc.h"
#include "board/pci.h"
#include "monitor/qmp-dispatch.h"

/* The class names QEMU gives (its table of PCI class descriptions);
 * classes not listed have no "desc". */
static const struct {
    uint16_t cls;
    const char *desc;
} class_names[] = {
    { 0x0001, "VGA controller" },
    { 0x0100, "SCSI controller" },
    { 0x0101, "IDE controller" },
    { 0x0102, "Floppy controller" },
    { 0x0103, "IPI controller" },
    { 0x0104, "RAID controller" },
    { 0x0106, "SATA controller" },
    { 0x0107, "SAS controller" },
    { 0x0180, "Storage controller" },
    { 0x0200, "Ethernet controller" },
    { 0x0201, "Token Ring controller" },
    { 0x0202, "FDDI controller" },
    { 0x0203, "ATM controller" },
    { 0x0280, "Network controller" },
    { 0x0300, "VGA controller" },
    { 0x0301, "XGA controller" },
    { 0x0302, "3D controller" },
    { 0x0380, "Display controller" },
    { 0x0400, "Video controller" },
    { 0x0401, "Audio controller" },
    { 0x0402, "Phone" },
    { 0x0403, "Audio controller" },
    { 0x0480, "Multimedia controller" },
    { 0x0500, "RAM controller" },
    { 0x0501, "Flash controller" },
    { 0x0580, "Memory controller" },
    { 0x0600, "Host bridge" },
    { 0x0601, "ISA bridge" },
    { 0x0602, "EISA bridge" },
    { 0x0603, "MC bridge" },
    { 0x0604, "PCI bridge" },
    { 0x0605, "PCMCIA bridge" },
    { 0x0606, "NUBUS bridge" },
    { 0x0607, "CARDBUS bridge" },
    { 0x0608, "RACEWAY bridge" },
    { 0x0680, "Bridge" },
    { 0x0c03, "USB controller" },
};

static const char *pci_class_desc(uint16_t cls)
{
    for (guint i = 0; i < G_N_ELEMENTS(class_names); i++) {
        if (class_names[i].cls == cls) {
            return class_names[i].desc;
        }
    }
    return NULL;
}

/* The address a BAR decodes, as the guest programmed it, or -1: read
 * back from config space through the same rules the core maps by. */
static gint64 region_address(PciDevice *d, unsigned n, bool rom)
{
    if (rom) {
        return d->rom_mapped ? (gint64)d->rom_mapped_at : -1;
    }
    const PciBar *b = &d->bars[n];
    if (b->ops) {
        return b->mapped ? (gint64)b->mapped_at : -1;
    }
    /* A sizing-only BAR: what it would decode. */
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    bool io = b->type & PCI_BASE_ADDRESS_SPACE_IO;
    if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY))) {
        return -1;
    }
    unsigned off = PCI_BASE_ADDRESS_0 + 4 * n;
    uint64_t addr = pci_get_long(d->config + off);
    if (!io && (b->type & PCI_BASE_ADDRESS_MEM_TYPE_64)) {
        addr |= (uint64_t)pci_get_long(d->config + off + 4) << 32;
    }
    addr &= ~(b->size - 1) & ~(uint64_t)(io ? 0x3 : 0xf);
    return addr ? (gint64)addr : -1;
}

static JsonObject *region_info(PciDevice *d, unsigned n, uint8_t type, uint64_t size,
                               bool rom)
{
    JsonObject *r = json_object_new();
    bool io = type & PCI_BASE_ADDRESS_SPACE_IO;
    json_object_set_int_member(r, "bar", n);
    json_object_set_string_member(r, "type", io ? "io" : "memory");
    json_object_set_int_member(r, "address", region_address(d, n, rom));
    json_object_set_int_member(r, "size", size);
    if (!io) {
        json_object_set_boolean_member(r, "prefetch", type & PCI_BASE_ADDRESS_MEM_PREFETCH);
        json_object_set_boolean_member(r, "mem_type_64", type & PCI_BASE_ADDRESS_MEM_TYPE_64);
    }
    return r;
}

static JsonObject *device_info(PciDevice *d)
{
    const uint8_t *c = d->config;
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "bus", 0);
    json_object_set_int_member(o, "slot", PCI_DEVFN_SLOT(d->devfn));
    json_object_set_int_member(o, "function", PCI_DEVFN_FUNC(d->devfn));

    JsonObject *cls = json_object_new();
    uint16_t class_id = pci_get_word(c + PCI_CLASS_DEVICE);
    const char *desc = pci_class_desc(class_id);
    if (desc) {
        json_object_set_string_member(cls, "desc", desc);
    }
    json_object_set_int_member(cls, "class", class_id);
    json_object_set_object_member(o, "class_info", cls);

    JsonObject *id = json_object_new();
    json_object_set_int_member(id, "device", pci_get_word(c + PCI_DEVICE_ID));
    json_object_set_int_member(id, "vendor", pci_get_word(c + PCI_VENDOR_ID));
    json_object_set_int_member(id, "subsystem", pci_get_word(c + PCI_SUBSYSTEM_ID));
    json_object_set_int_member(id, "subsystem-vendor", pci_get_word(c + PCI_SUBSYSTEM_VENDOR_ID));
    json_object_set_object_member(o, "id", id);

    if (c[PCI_INTERRUPT_PIN]) {
        json_object_set_int_member(o, "irq", c[PCI_INTERRUPT_LINE]);
    }
    json_object_set_int_member(o, "irq_pin", c[PCI_INTERRUPT_PIN]);
    json_object_set_string_member(o, "qdev_id", d->parent.id ? d->parent.id : "");

    JsonArray *regions = json_array_new();
    for (unsigned n = 0; n < G_N_ELEMENTS(d->bars); n++) {
        const PciBar *b = &d->bars[n];
        if (b->size) {
            json_array_add_object_element(regions, region_info(d, n, b->type, b->size, false));
        }
    }
    if (d->rom) {
        json_array_add_object_element(
            regions, region_info(d, 6, PCI_BASE_ADDRESS_SPACE_MEMORY, g_bytes_get_size(d->rom), true));
    }
    json_object_set_array_member(o, "regions", regions);
    return o;
}

static JsonNode *qmp_query_pci(QmpContext *ctx, JsonObject *args, GError **errp)
{
    (void)args, (void)errp;
    JsonArray *buses = json_array_new();
    PciBus *bus = pci_root_bus(ctx->m);
    if (bus) {
        JsonArray *devs = json_array_new();
        for (unsigned devfn = 0; devfn < 256; devfn++) {
            if (bus->devices[devfn]) {
                json_array_add_object_element(devs, device_info(bus->devices[devfn]));
            }
        }
        JsonObject *b = json_object_new();
        json_object_set_int_member(b, "bus", 0);
        json_object_set_array_member(b, "devices", devs);
        json_array_add_object_element(buses, b);
    }
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, buses);
    return n;
}

const QmpCommandDef qmp_commands_pci[] = {
    { "query-pci", qmp_query_pci },
    { NULL, NULL },
};
