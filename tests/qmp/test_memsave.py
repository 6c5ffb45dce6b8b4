#!/usr/bin/env python3
"""memsave/pmemsave write the guest's real bytes: a multiboot payload is
loaded at its ELF physical addresses, so the saved files must equal the
ELF's first loadable segment. The boot CPU starts with paging off, so a
linear address (memsave) is the physical one."""

import os
import struct

from qmptest import Vm, payload, run_tests


def first_segment(path):
    """(physical address, file bytes) of an ELF32 image's first PT_LOAD."""
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:4] == b'\x7fELF' and data[4] == 1, 'not ELF32'
    phoff, = struct.unpack_from('<I', data, 28)
    phentsize, phnum = struct.unpack_from('<HH', data, 42)
    for i in range(phnum):
        p_type, p_offset, _vaddr, p_paddr, p_filesz = struct.unpack_from(
            '<IIIII', data, phoff + i * phentsize)
        if p_type == 1 and p_filesz:
            return p_paddr, data[p_offset:p_offset + p_filesz]
    raise AssertionError('no PT_LOAD segment')


def saved(vm, command, addr, size, name, **extra):
    path = os.path.join(vm.dir, name)
    c = vm.qmp()
    assert c.cmd_ok(command, {'val': addr, 'size': size, 'filename': path, **extra}) == {}
    c.close()
    with open(path, 'rb') as f:
        return f.read()


def test_pmemsave_and_memsave_match_the_image():
    elf = payload('counter')
    addr, want = first_segment(elf)
    n = min(len(want), 4096)
    with Vm(['-kernel', elf]) as vm:
        assert saved(vm, 'pmemsave', addr, n, 'phys') == want[:n]
        assert saved(vm, 'memsave', addr, n, 'virt', **{'cpu-index': 0}) == want[:n]


def test_pmemsave_outside_ram_is_zeroes():
    with Vm(['-m', '64']) as vm:
        # the PCI hole holds no RAM: QEMU reads unassigned memory as zeroes
        assert saved(vm, 'pmemsave', 0xe0000000, 512, 'hole') == bytes(512)


if __name__ == '__main__':
    raise SystemExit(run_tests([test_pmemsave_and_memsave_match_the_image,
                                test_pmemsave_outside_ram_is_zeroes]))
