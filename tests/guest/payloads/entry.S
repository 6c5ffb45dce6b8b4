/* Multiboot v1 header, entry point, GDT and mode-switch helpers shared by
 * all payloads.  Assembled as i386 (ELF32); the .code64 parts use only
 * RIP-relative or zero-extended 32-bit absolute addressing, which is all an
 * ELF32 object can relocate. */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* bit 0: page-align modules, bit 1: want mem info */

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .section .text
        .code32
        .globl _start
_start:
        cli
        cld
        movl    %eax, mb_magic
        movl    %ebx, mb_info
        movl    $boot_stack_top, %esp
        lgdt    gdtr
        lidt    idtr_null
        ljmp    $0x08, $1f
1:      movl    $0x10, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movl    %eax, %fs
        movl    %eax, %gs
        pushl   $2
        popfl
        call    payload_start
        pushl   $0x11
        call    debug_exit
2:      hlt
        jmp     2b

/* void triple_fault(void): IDT limit 0 and an exception => shutdown. */
        .globl  triple_fault
triple_fault:
        lidt    idtr_null
        ud2
        jmp     triple_fault

/* Exception stubs for idt_init() (lib.c): stub v is at exc_stubs + 8*v and
 * pushes v, so exception_report() sees the vector, [error code,] EIP. */
        .align  8
        .globl  exc_stubs
exc_stubs:
        vec = 0
        .rept   32
        .align  8
        pushl   $vec
        jmp     exc_common
        vec = vec + 1
        .endr
exc_common:
        pushl   %esp                    /* const u32 *frame */
        call    exception_report
        jmp     triple_fault

/* Common exit of DEFINE_ISR() stubs (common.h), with the CPU's frame EIP,
 * CS, EFLAGS on the stack.  A same-privilege return without iret, which this
 * host's CPL0 emulator rejects; isr_use_iret selects iret for comparison. */
        .globl  isr_return
isr_return:
        cmpl    $0, isr_use_iret
        jne     1f
        pushl   8(%esp)                 /* EFLAGS (IF as the interrupted code had it) */
        popfl
        ret     $8                      /* EIP; drop CS and EFLAGS */
1:      iret

/* void enter_long_mode(u32 pml4, void (*entry64)(void)) */
        .globl  enter_long_mode
enter_long_mode:
        movl    4(%esp), %eax
        movl    8(%esp), %edi
        movl    %cr4, %ecx
        orl     $0x20, %ecx             /* CR4.PAE */
        movl    %ecx, %cr4
        movl    %eax, %cr3
        movl    $0xC0000080, %ecx       /* IA32_EFER */
        rdmsr
        orl     $0x100, %eax            /* LME */
        wrmsr
        movl    %cr0, %eax
        orl     $0x80000001, %eax       /* PG | PE */
        movl    %eax, %cr0
        ljmp    $0x18, $lm_entry

        .code64
lm_entry:
        movl    $0x10, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movl    %eax, %fs
        movl    %eax, %gs
        movl    %esp, %esp              /* zero-extend: upper halves are undefined */
        movl    %edi, %edi
        xorl    %eax, %eax
        xorl    %ebx, %ebx
        xorl    %ecx, %ecx
        xorl    %edx, %edx
        xorl    %esi, %esi
        xorl    %ebp, %ebp
        jmp     *%rdi

/* 64-bit CPL0 stub used by enter_cpl3(): iretq to [user_entry] at CPL3. */
        .globl  cpl3_trampoline64
cpl3_trampoline64:
        movl    user_entry(%rip), %edi
        pushq   $0x23                   /* SS */
        movl    $user_stack_top, %eax
        pushq   %rax                    /* RSP */
        pushq   $0x2                    /* RFLAGS: IF=0, IOPL=0 */
        pushq   $0x2b                   /* CS */
        pushq   %rdi                    /* RIP */
        xorl    %eax, %eax
        xorl    %edi, %edi
        xorl    %r8d, %r8d
        xorl    %r9d, %r9d
        xorl    %r10d, %r10d
        xorl    %r11d, %r11d
        xorl    %r12d, %r12d
        xorl    %r13d, %r13d
        xorl    %r14d, %r14d
        xorl    %r15d, %r15d
        iretq
        .code32

        .section .rodata
        .align 8
        .globl  gdt, gdt_end
gdt:
        .quad   0                       /* 0x00 null */
        .quad   0x00CF9B000000FFFF      /* 0x08 code32, DPL0 (accessed bit preset) */
        .quad   0x00CF93000000FFFF      /* 0x10 data, DPL0 */
        .quad   0x00AF9B000000FFFF      /* 0x18 code64, DPL0 */
        .quad   0x00CFF3000000FFFF      /* 0x20 data, DPL3 */
        .quad   0x00AFFB000000FFFF      /* 0x28 code64, DPL3 */
        .quad   0x00009B000000FFFF      /* 0x30 code16, base 0, limit 64K */
        .quad   0x000093000000FFFF      /* 0x38 data16, base 0, limit 64K */
gdt_end:
        .align 4
        .word   0
        .globl  gdtr
gdtr:   .word   gdt_end - gdt - 1
        .long   gdt
        .word   0
idtr_null:
        .word   0
        .long   0

        .section .data
        .align 4
        .globl  mb_magic, mb_info, user_entry, isr_use_iret
mb_magic:   .long 0
mb_info:    .long 0
user_entry: .long 0
isr_use_iret: .long 0

        .section .bss
        .align 16
        .space  16384
boot_stack_top:
        .globl  user_stack_top
        .space  4096
user_stack_top:

        .section .note.GNU-stack, "", @progbits
