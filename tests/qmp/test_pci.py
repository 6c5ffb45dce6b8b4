#!/usr/bin/env python3
"""query-pci and HMP `info pci` against QEMU 7.2, value for value and
character for character, on the same machines (-M pc -nodefaults plus
pci-testdev functions placed by addr=, multifunction=on, automatically,
with romfile= and id=), before and after BARs are programmed through the
qtest protocol; and -device errors for PCI addressing, which must be
QEMU's own texts."""

import subprocess

from qmptest import QEMU, TIMEOUT, Vm, base_argv, run_tests, tern_binary

MACHINES = [
    [],
    ['-device', 'pci-testdev,addr=0x3'],
    ['-device', 'pci-testdev,addr=0x4.0x0,multifunction=on', '-device', 'pci-testdev,addr=0x4.0x2',
     '-device', 'pci-testdev,id=f5,addr=0x1.0x5', '-device', 'pci-testdev,addr=0x3.0x7'],
    ['-device', 'pci-testdev', '-device', 'pci-testdev,addr=0x3', '-device', 'pci-testdev,id=x',
     '-device', 'pci-testdev,romfile=kvmvapic.bin', '-device', 'pci-testdev,romfile=linuxboot.bin,rombar=0'],
    ['-device', 'pci-testdev,romfile=linuxboot.bin,romsize=8192', '-device', 'pci-testdev,membar=1M',
     '-device', 'pci-testdev,acpi-index=3,romsize=4096'],
]


def hmp(c, line):
    return c.cmd_ok('human-monitor-command', {'command-line': line})


def both(extra, fn):
    """fn(conn) on QEMU and on Tern; returns (qemu, tern)."""
    out = []
    for which in ('qemu', 'tern'):
        with Vm(extra, which=which) as vm:
            out.append(fn(vm.qmp()))
    return out


def test_query_pci():
    for extra in MACHINES:
        q, t = both(extra, lambda c: c.cmd_ok('query-pci'))
        assert q == t, '%s\nQEMU %s\nTern %s' % (extra, q, t)


def test_info_pci():
    for extra in MACHINES:
        q, t = both(extra, lambda c: hmp(c, 'info pci'))
        assert q == t, '%s\nQEMU %r\nTern %r' % (extra, q, t)


class QtestVm(Vm):
    """A VM driven through -qtest stdio as well as QMP (QEMU with TCG, Tern
    with its qtest accelerator: both paused)."""

    def __init__(self, extra, which):
        if which == 'qemu':
            argv = [QEMU, '-M', 'pc', '-accel', 'tcg', '-S']
        else:
            argv = [tern_binary(), '-M', 'pc', '-accel', 'qtest']
        argv += ['-m', '64', '-nodefaults', '-display', 'none', '-qtest', 'stdio',
                 '-qtest-log', 'none']
        super().__init__(extra, which=which, argv=argv, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)

    def qtest(self, line):
        self.proc.stdin.write((line + '\n').encode())
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().decode().strip()
        assert reply.startswith('OK'), (line, reply)
        return reply


def cfg_write(vm, devfn, off, val, size):
    vm.qtest('outl 0xcf8 0x%08x' % (0x80000000 | devfn << 8 | (off & ~3)))
    vm.qtest('out%s 0x%x 0x%x' % ({1: 'b', 2: 'w', 4: 'l'}[size], 0xcfc + (off & 3), val))


def test_query_pci_programmed():
    extra = ['-device', 'pci-testdev,addr=0x3,romfile=kvmvapic.bin',
             '-device', 'pci-testdev,addr=0x4', '-device', 'pci-testdev,addr=0x5']
    out = []
    for which in ('qemu', 'tern'):
        with QtestVm(extra, which) as vm:
            c = vm.qmp()
            t = 0x18
            cfg_write(vm, t, 0x10, 0xfe000000, 4)
            cfg_write(vm, t, 0x14, 0xc000, 4)
            cfg_write(vm, t, 0x30, 0xfe100001, 4)
            cfg_write(vm, t, 0x3c, 11, 1)
            cfg_write(vm, t, 0x04, 0x3, 2)
            # 0x4: addresses set, decode off; 0x5: IO decode only
            cfg_write(vm, 0x20, 0x10, 0xfe200000, 4)
            cfg_write(vm, 0x28, 0x14, 0xc100, 4)
            cfg_write(vm, 0x28, 0x04, 0x1, 2)
            # IDE BAR4 with IO decode
            cfg_write(vm, 0x09, 0x20, 0xc200, 4)
            cfg_write(vm, 0x09, 0x04, 0x1, 2)
            out.append((c.cmd_ok('query-pci'), hmp(c, 'info pci')))
    assert out[0][0] == out[1][0], 'QEMU %s\nTern %s' % (out[0][0], out[1][0])
    assert out[0][1] == out[1][1], 'QEMU %r\nTern %r' % (out[0][1], out[1][1])


BAD = [
    'pci-testdev,addr=0x1',
    'pci-testdev,addr=0x20',
    'pci-testdev,addr=0x1f.0x8',
    'pci-testdev,addr=-1',
    'pci-testdev,addr=0x3 -device pci-testdev,addr=0x3.0x1',
    'pci-testdev,addr=0x3.0x1 -device pci-testdev,addr=0x3',
    'pci-testdev,id=a,addr=0x3 -device pci-testdev,addr=3',
    'pci-testdev,addr=0x2.0x1 -device pci-testdev',
    'pci-testdev,romfile=no-such.rom',
    'pci-testdev,romfile=linuxboot.bin,romsize=3000',
    'pci-testdev,romfile=linuxboot.bin,romsize=512',
    'pci-testdev,failover_pair_id=x',
]


def error_line(argv):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    lines = p.stderr.decode().strip().splitlines()
    assert p.returncode != 0 and lines, (argv, p.returncode, lines)
    # "PROGRAM: -device ...: message" -> "-device ...: message"
    return lines[-1].split(': ', 1)[1]


def test_bad_addresses():
    for dev in BAD:
        extra = ['-device'] + dev.replace(' -device ', '\0-device\0').split('\0')
        q = error_line(base_argv('qemu') + extra)
        t = error_line(base_argv('tern') + extra)
        assert q == t, 'QEMU %r\nTern %r' % (q, t)


if __name__ == '__main__':
    raise SystemExit(run_tests([test_query_pci, test_info_pci, test_query_pci_programmed,
                                test_bad_addresses]))
