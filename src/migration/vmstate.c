#include "migration/vmstate.h"
#include "util/error.h"

#include <string.h>

static void put_le(GByteArray *out, uint64_t v, size_t size)
{
    uint8_t b[8];
    for (size_t i = 0; i < size; i++) {
        b[i] = v >> (8 * i);
    }
    g_byte_array_append(out, b, size);
}

static uint64_t read_field(const void *p, size_t size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: return *(const uint16_t *)p;
    case 4: return *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
    }
}

static void write_field(void *p, size_t size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)p = v; break;
    case 2: *(uint16_t *)p = v; break;
    case 4: *(uint32_t *)p = v; break;
    default: *(uint64_t *)p = v; break;
    }
}

void vmstate_save(const StateDescription *desc, const void *obj, GByteArray *out)
{
    for (const StateField *f = desc->fields; f->name; f++) {
        const uint8_t *p = (const uint8_t *)obj + f->offset;
        if (f->is_buffer) {
            g_byte_array_append(out, p, f->size);
        } else {
            put_le(out, read_field(p, f->size), f->size);
        }
    }
}

bool vmstate_load(const StateDescription *desc, void *obj, unsigned version,
                  const uint8_t *data, size_t len, GError **errp)
{
    if (version > desc->version) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "%s: stream version %u is newer than supported %u", desc->name, version,
                    desc->version);
        return false;
    }
    size_t pos = 0;
    for (const StateField *f = desc->fields; f->name; f++) {
        if (f->since_version > version) {
            continue;
        }
        if (len - pos < f->size || pos > len) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "%s: section truncated at field '%s'", desc->name, f->name);
            return false;
        }
        uint8_t *p = (uint8_t *)obj + f->offset;
        if (f->is_buffer) {
            memcpy(p, data + pos, f->size);
        } else {
            uint64_t v = 0;
            for (size_t i = 0; i < f->size; i++) {
                v |= (uint64_t)data[pos + i] << (8 * i);
            }
            write_field(p, f->size, v);
        }
        pos += f->size;
    }
    if (pos != len) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "%s: %zu trailing bytes in section", desc->name, len - pos);
        return false;
    }
    return !desc->post_load || desc->post_load(obj, errp);
}
