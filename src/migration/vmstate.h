/* Versioned state descriptions: a device lists its guest-visible fields
 * once; one generic walker saves and loads them. A field added in version
 * N is read only from streams of version >= N. Loaded state is untrusted:
 * post_load validates it. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct StateField {
    const char *name;
    size_t offset;
    size_t size;          /* 1, 2, 4, 8 (integers, little endian) or a byte buffer */
    bool is_buffer;
    unsigned since_version;
} StateField;

typedef struct StateDescription {
    const char *name;
    unsigned version;
    const StateField *fields;   /* terminated by a NULL name */
    bool (*post_load)(void *obj, GError **errp);
} StateDescription;

#define STATE_UINT(type, field) \
    { .name = #field, .offset = offsetof(type, field), .size = sizeof(((type *)0)->field), \
      .since_version = 1 }
#define STATE_UINT_V(type, field, v) \
    { .name = #field, .offset = offsetof(type, field), .size = sizeof(((type *)0)->field), \
      .since_version = (v) }
#define STATE_BUFFER(type, field) \
    { .name = #field, .offset = offsetof(type, field), .size = sizeof(((type *)0)->field), \
      .is_buffer = true, .since_version = 1 }
#define STATE_END { .name = NULL }

void vmstate_save(const StateDescription *desc, const void *obj, GByteArray *out);
/* Loads a section written by vmstate_save at version `version`. */
bool vmstate_load(const StateDescription *desc, void *obj, unsigned version,
                  const uint8_t *data, size_t len, GError **errp);
