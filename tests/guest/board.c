#include "board.h"

void board_init(Board *b, const char *const *extra)
{
    static const char *const base[] = { "-M", "pc", "-nodefaults", "-S", NULL };
    board_init_args(b, base, extra);
}

void board_init_args(Board *b, const char *const *base, const char *const *extra)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)"tern");
    for (; *base; base++) {
        g_ptr_array_add(argv, (char *)*base);
    }
    for (; extra && *extra; extra++) {
        g_ptr_array_add(argv, (char *)*extra);
    }
    g_ptr_array_add(argv, NULL);
    b->cfg = machine_config_new();
    g_autoptr(GError) err = NULL;
    bool exit_now;
    g_assert_true(options_parse(b->cfg, argv->len - 1, (char **)argv->pdata, &exit_now, &err));
    b->m = machine_new(b->cfg, &err);
    g_assert_no_error(err);
}

void board_free(Board *b)
{
    machine_free(b->m);
    machine_config_free(b->cfg);
}

uint64_t board_in(Board *b, uint16_t port, unsigned size)
{
    uint64_t v;
    address_space_read(b->m->pio, port, &v, size);
    return v;
}

void board_out(Board *b, uint16_t port, uint64_t value, unsigned size)
{
    address_space_write(b->m->pio, port, value, size);
}
