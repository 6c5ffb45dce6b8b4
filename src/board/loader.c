#include "board/loader.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void blob_clear(gpointer p)
{
    g_bytes_unref(((BootBlob *)p)->data);
}

void boot_image_init(BootImage *bi)
{
    bi->protocol = BOOT_NONE;
    bi->entry = bi->info = 0;
    bi->blobs = g_array_new(FALSE, TRUE, sizeof(BootBlob));
    g_array_set_clear_func(bi->blobs, blob_clear);
    bi->sources = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

void boot_image_clear(BootImage *bi)
{
    if (bi->blobs) {
        g_array_unref(bi->blobs);
        bi->blobs = NULL;
    }
    if (bi->sources) {
        g_ptr_array_unref(bi->sources);
        bi->sources = NULL;
    }
}

static bool add_blob(BootImage *bi, GuestRam *ram, uint64_t gpa, GBytes *data, const char *what,
                     GError **errp)
{
    gsize len;
    const void *p = g_bytes_get_data(data, &len);
    if (!guest_ram_write(ram, gpa, p, len)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "%s (0x%zx bytes at 0x%" G_GINT64_MODIFIER "x) does not fit in guest RAM",
                    what, (size_t)len, gpa);
        g_bytes_unref(data);
        return false;
    }
    BootBlob b = { .gpa = gpa, .data = data };
    g_array_append_val(bi->blobs, b);
    return true;
}

bool boot_image_add(BootImage *bi, GuestRam *ram, uint64_t gpa, const void *data, size_t len,
                    const char *what, GError **errp)
{
    if (len == 0) {
        return true;
    }
    /* Data inside a file being loaded is referenced, not copied. */
    for (guint i = 0; bi->sources && i < bi->sources->len; i++) {
        GBytes *file = g_ptr_array_index(bi->sources, i);
        gsize flen;
        const uint8_t *f = g_bytes_get_data(file, &flen);
        const uint8_t *d = data;
        if (f && d >= f && len <= flen && (size_t)(d - f) <= flen - len) {
            return boot_image_add_bytes(bi, ram, gpa, file, d - f, len, what, errp);
        }
    }
    return add_blob(bi, ram, gpa, g_bytes_new(data, len), what, errp);
}

bool boot_image_add_bytes(BootImage *bi, GuestRam *ram, uint64_t gpa, GBytes *file,
                          size_t offset, size_t len, const char *what, GError **errp)
{
    if (len == 0) {
        return true;
    }
    return add_blob(bi, ram, gpa, g_bytes_new_from_bytes(file, offset, len), what, errp);
}

void boot_image_reinstall(BootImage *bi, GuestRam *ram)
{
    for (guint i = 0; i < bi->blobs->len; i++) {
        BootBlob *b = &g_array_index(bi->blobs, BootBlob, i);
        gsize len;
        const void *data = g_bytes_get_data(b->data, &len);
        guest_ram_write(ram, b->gpa, data, len);
    }
}

GBytes *loader_read_file(const char *path, uint64_t max, const char *what, GError **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "could not open %s file '%s': %s",
                    what, path, g_strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s file '%s' is not a regular file",
                    what, path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "%s file '%s' is too large for guest RAM (%lld bytes)", what, path,
                    (long long)st.st_size);
        close(fd);
        return NULL;
    }
    /* Mapped, not read: the page cache holds it once, and blobs kept for
     * reset reference the mapping instead of copies. */
    g_autoptr(GError) err = NULL;
    GMappedFile *mf = g_mapped_file_new_from_fd(fd, FALSE, &err);
    close(fd);
    if (!mf) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "could not read %s file '%s': %s",
                    what, path, err->message);
        return NULL;
    }
    GBytes *bytes = g_mapped_file_get_bytes(mf);
    g_mapped_file_unref(mf);
    return bytes;
}

bool loader_load_kernel(BootImage *bi, GuestRam *ram, const BootParams *p, GError **errp)
{
    g_autoptr(GBytes) file = loader_read_file(p->kernel, ram->size, "kernel", errp);
    if (!file) {
        return false;
    }
    gsize len;
    const uint8_t *img = g_bytes_get_data(file, &len);
    g_ptr_array_add(bi->sources, g_bytes_ref(file));
    bool ok;
    if (loader_is_bzimage(img, len)) {
        ok = loader_load_bzimage(bi, ram, p, img, len, errp);
    } else if (loader_find_multiboot(img, len) >= 0) {
        ok = loader_load_multiboot(bi, ram, p, img, len, errp);
    } else if (loader_is_elf(img, len)) {
        ok = loader_load_elf_kernel(bi, ram, p, img, len, errp);
    } else {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "kernel '%s' is not a bzImage, ELF or multiboot image", p->kernel);
        return false;
    }
    if (!ok) {
        g_prefix_error(errp, "kernel '%s': ", p->kernel);
    }
    return ok;
}
