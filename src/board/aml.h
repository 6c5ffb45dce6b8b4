/* A small AML (ACPI Machine Language) encoder for the DSDT: just the
 * terms Tern's tables use, each appended to a GByteArray. Encodings follow
 * the ACPI 6.x specification, section 20 (AML grammar) and 6.4 (resource
 * descriptors).
 *
 * Terms with a PkgLength (Scope, Device, Method, If, Package, Buffer) are
 * opened, filled and closed: aml_close() measures what was written since
 * the open and inserts the length, so nesting reads like the ASL it
 * stands for. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef guint AmlBlock;   /* where an open term's PkgLength goes */

/* Names: "\\_SB.PCI0.ISA", "^LNKA" or "PRQ0"; short segments are padded
 * with '_'. */
void aml_name_string(GByteArray *b, const char *path);

/* Data objects. */
void aml_int(GByteArray *b, uint64_t v);
void aml_string(GByteArray *b, const char *s);
void aml_eisaid(GByteArray *b, const char *id);     /* "PNP0A03" */
void aml_buffer(GByteArray *b, const uint8_t *data, guint len);

/* Name (NAME, <value appended next>) */
void aml_name_decl(GByteArray *b, const char *name);

AmlBlock aml_scope_open(GByteArray *b, const char *path);
AmlBlock aml_device_open(GByteArray *b, const char *name);
AmlBlock aml_method_open(GByteArray *b, const char *name, unsigned nargs, bool serialized);
AmlBlock aml_package_open(GByteArray *b, unsigned nelems);
AmlBlock aml_if_open(GByteArray *b);   /* the predicate is the first term after it */
void aml_close(GByteArray *b, AmlBlock at);

/* OperationRegion (NAME, space, offset, len) and a Field of byte-wide
 * units over it. */
enum { AML_SYSTEM_MEMORY = 0, AML_SYSTEM_IO = 1, AML_PCI_CONFIG = 2 };
void aml_op_region(GByteArray *b, const char *name, uint8_t space, uint64_t offset, uint64_t len);
void aml_field_bytes(GByteArray *b, const char *region, const char *const *names, unsigned n);
/* The same with 32-bit units, DWordAcc and WriteAsZeros (I/O registers). */
void aml_field_dwords(GByteArray *b, const char *region, const char *const *names, unsigned n);

/* Statements and expressions; operands are the terms appended after. */
void aml_return(GByteArray *b);                  /* Return (<term>) */
void aml_store(GByteArray *b);                   /* Store (<term>, <target>) */
void aml_and(GByteArray *b);                     /* And (<a>, <b>, <target>) */
void aml_or(GByteArray *b);                      /* Or (<a>, <b>, <target>) */
void aml_lless(GByteArray *b);                   /* LLess (<a>, <b>) */
void aml_null_target(GByteArray *b);
void aml_arg(GByteArray *b, unsigned n);         /* Arg0-6 */
void aml_local(GByteArray *b, unsigned n);       /* Local0-7 */
void aml_shift_left(GByteArray *b);              /* ShiftLeft (<a>, <count>, <target>) */
void aml_notify(GByteArray *b);                  /* Notify (<object>, <value>) */
/* A method call is its name string followed by its arguments. */
void aml_create_dword_field(GByteArray *b);      /* (<buffer>, <index>, NAME) */

/* Resource template items (ACPI 6.4); aml_rt_end() closes the list. */
void aml_rt_io(GByteArray *rt, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_rt_irq_noflags(GByteArray *rt, uint16_t mask);
void aml_rt_interrupt(GByteArray *rt, bool level, bool active_low, bool shared,
                      const uint32_t *irqs, unsigned n);
void aml_rt_word_bus(GByteArray *rt, uint16_t min, uint16_t max);
void aml_rt_word_io(GByteArray *rt, uint16_t min, uint16_t max);
void aml_rt_dword_mem(GByteArray *rt, bool cacheable, uint32_t min, uint32_t max);
void aml_rt_qword_mem(GByteArray *rt, bool cacheable, uint64_t min, uint64_t max);
void aml_rt_memory32_fixed(GByteArray *rt, bool writable, uint32_t base, uint32_t len);
void aml_rt_end(GByteArray *rt);
