/* A minimal Linux boot protocol 2.02 image (bzImage layout) whose
 * real-mode setup code prints a line and the kernel command line on COM1,
 * then exits through isa-debug-exit (port 0xf4, status 33). It proves that
 * firmware (SeaBIOS and the linuxboot option ROM) loaded a -kernel through
 * fw_cfg and entered it, without decompressing a real kernel, which this
 * host's emulated CPL0 would take minutes for. QEMU boots the same file:
 *   qemu-system-x86_64 -M pc -nodefaults -serial stdio -display none \
 *     -device isa-debug-exit -kernel bzimage-hello.bin -append "hi"
 * Built as a flat binary: file offset = offset from the setup segment. */
    .code16
    .text
    .globl _start
_start:
    .fill 0x1f1, 1, 0          /* boot sector: unused by a boot loader */
    .byte 1                    /* 0x1f1 setup_sects: 1 sector after this one */
    .word 0                    /* 0x1f2 root_flags */
    .long 0                    /* 0x1f4 syssize */
    .word 0                    /* 0x1f8 ram_size */
    .word 0xffff               /* 0x1fa vid_mode */
    .word 0                    /* 0x1fc root_dev */
    .word 0xaa55               /* 0x1fe boot_flag */
    jmp setup                  /* 0x200: a 2-byte jump */
    .ascii "HdrS"              /* 0x202 header magic */
    .word 0x0202               /* 0x206 protocol version */
    .long 0                    /* 0x208 realmode_swtch */
    .word 0                    /* 0x20c start_sys_seg */
    .word 0                    /* 0x20e kernel_version */
    .byte 0                    /* 0x210 type_of_loader (the loader's) */
    .byte 0x01                 /* 0x211 loadflags: LOADED_HIGH */
    .word 0                    /* 0x212 setup_move_size */
    .long 0x100000             /* 0x214 code32_start */
    .long 0                    /* 0x218 ramdisk_image */
    .long 0                    /* 0x21c ramdisk_size */
    .long 0                    /* 0x220 bootsect_kludge */
    .word 0                    /* 0x224 heap_end_ptr */
    .byte 0, 0                 /* 0x226 ext_loader_ver/type */
    .long 0                    /* 0x228 cmd_line_ptr (the loader's) */
    /* Later protocol versions have fields up to 0x26c, and loaders (the
     * linuxboot option ROM writes initrd_addr_max at 0x22c) may fill them
     * in whatever the version says, so the code starts past them, still
     * within reach of the 2-byte jump. */
    .org 0x270

setup:
    /* Entered at setup segment + 0x20 : 0, so DS = CS - 0x20 puts the
     * image's own offsets in reach. */
    mov %cs, %ax
    sub $0x20, %ax
    mov %ax, %ds
    mov $hello, %si
    call puts
    /* The command line: a linear address, read through ES. */
    mov 0x228, %eax
    mov %eax, %ebx
    shr $4, %ebx
    mov %bx, %es
    and $15, %ax
    mov %ax, %si
1:  mov %es:(%si), %al
    test %al, %al
    jz 2f
    call putc
    inc %si
    jmp 1b
2:  mov $'\n', %al
    call putc
    mov $0x10, %al             /* isa-debug-exit: status (0x10 << 1) | 1 = 33 */
    out %al, $0xf4
3:  cli
    hlt
    jmp 3b

/* Prints the NUL-terminated string at DS:SI. */
puts:
    lodsb
    test %al, %al
    jz 1f
    call putc
    jmp puts
1:  ret

/* Writes AL to COM1 once its transmitter holding register is empty. */
putc:
    mov %al, %ah
    mov $0x3fd, %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    mov $0x3f8, %dx
    mov %ah, %al
    out %al, %dx
    ret

hello:
    .asciz "bzimage-hello: real-mode setup entered, cmdline: "

    .org 1024                  /* end of the setup sectors */
    .fill 512, 1, 0            /* the "protected-mode kernel": never run */
