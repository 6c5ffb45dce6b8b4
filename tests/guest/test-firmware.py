#!/usr/bin/env python3
"""Firmware boot: SeaBIOS (Debian's bios-256k.bin, QEMU's default image)
runs in Tern under KVM, prints its banner on the serial port (-nographic,
as with QEMU), and boots a -kernel through fw_cfg with the linuxboot
option ROM: the bzImage payload's real-mode setup code prints the command
line and exits through isa-debug-exit. Slow here (SeaBIOS runs in the
host's emulated CPL0, as QEMU's does: ~7 s), so it is the one such test.
Bad -bios input is refused with QEMU's message. TAP output."""
import os
import subprocess
import sys
import tempfile

from tap import run_tests

TERN = os.environ['TERN_BINARY']
PAYLOAD = os.path.join(os.environ['TERN_PAYLOAD_DIR'], 'bzimage-hello.bin')
MULTIBOOT = os.path.join(os.environ['TERN_PAYLOAD_DIR'], 'hello.elf')
TIMEOUT = 120
EXIT_OK = 33          # isa-debug-exit: (0x10 << 1) | 1


def tern(*args, timeout=TIMEOUT):
    return subprocess.run([TERN, '-M', 'pc', '-m', '128', '-nodefaults', *args],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


def test_seabios_boots_kernel():
    r = tern('-accel', 'kvm', '-nographic', '-serial', 'stdio', '-no-reboot',
             '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-bios', 'bios-256k.bin',
             '-kernel', PAYLOAD, '-append', 'tern firmware test')
    out = r.stdout.decode(errors='replace')
    assert r.returncode == EXIT_OK, (r.returncode, out, r.stderr)
    assert 'SeaBIOS (version ' in out, out
    assert 'bzimage-hello: real-mode setup entered, cmdline: tern firmware test\n' in out, out


def expect_error(args, message):
    r = tern('-accel', 'qtest', '-display', 'none', *args, timeout=30)
    err = r.stderr.decode(errors='replace')
    assert r.returncode == 1, (r.returncode, err)
    assert err.strip().endswith(message), err


def test_bad_bios():
    expect_error(['-bios', 'no-such-bios.bin'], "could not load PC BIOS 'no-such-bios.bin'")
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(b'\0' * 100000)        # not a multiple of 64 KiB
        f.flush()
        expect_error(['-bios', f.name], "could not load PC BIOS '%s'" % f.name)


def test_firmware_needs_bzimage():
    expect_error(['-bios', 'bios-256k.bin', '-kernel', MULTIBOOT],
                 'firmware boot needs a bzImage (Linux boot protocol 2.02+)')
    # A setup header claiming more setup sectors than the file holds.
    img = bytearray(1024)
    img[0x1f1] = 8
    img[0x202:0x206] = b'HdrS'
    img[0x206:0x208] = (0x0202).to_bytes(2, 'little')
    img[0x211] = 0x01
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(bytes(img))
        f.flush()
        expect_error(['-bios', 'bios-256k.bin', '-kernel', f.name],
                     '-kernel %s: truncated image' % f.name)
    expect_error(['-bios', 'bios-256k.bin', '-kernel', PAYLOAD, '-initrd', '/nonexistent'],
                 "could not load initrd '/nonexistent': Failed to open file "
                 "\u201c/nonexistent\u201d: No such file or directory")


if __name__ == '__main__':
    sys.exit(run_tests([test_seabios_boots_kernel, test_bad_bios, test_firmware_needs_bzimage]))
