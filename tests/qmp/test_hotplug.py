#!/usr/bin/env python3
"""PCI hot-plug, differential: the same conversation (QMP device_add/
device_del, and qtest port I/O on the ACPI hotplug registers at 0xae00
and GPE0 at 0xafe0, as a guest's DSDT methods would do it) against Tern
(-accel qtest) and QEMU 7.2 (TCG running a hlt BIOS: it has no qtest
accelerator, and its device removal needs a running machine). Every reply
and event must be identical (timestamps aside)."""

import os
import shutil
import socket
import sys
import tempfile

from qmptest import QEMU, QmpError, Vm, run_tests, tern_binary, time

_HLT_DIR = tempfile.mkdtemp(prefix='tern-hotplug-')


def hlt_bios():
    """A BIOS of hlt instructions: QEMU runs (so it completes removals)
    without running any guest code of interest."""
    path = os.path.join(_HLT_DIR, 'hlt.bin')
    if not os.path.exists(path):
        with open(path, 'wb') as f:
            f.write(b'\xf4' * 65536)
    return path


class QtestConn:
    def __init__(self, path, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)   # connect retry, not an event wait
        self.f = self.s.makefile('rw')

    def cmd(self, line):
        self.f.write(line + '\n')
        self.f.flush()
        while True:
            r = self.f.readline()
            if not r:
                raise QmpError('qtest closed on %r' % line)
            if not r.startswith('IRQ'):
                return r.strip()


def launch(which, extra):
    common = ['-M', 'pc', '-m', '64', '-nodefaults', '-display', 'none',
              '-qtest', 'unix:{dir}/qtest.sock,server=on,wait=off',
              '-qmp', 'unix:{dir}/qmp.sock,server=on,wait=off']
    if which == 'qemu':
        argv = [QEMU, '-accel', 'tcg', '-bios', hlt_bios()]
    else:
        argv = [tern_binary(), '-accel', 'qtest']
    vm = Vm(argv=argv, extra=common + list(extra), qmp=False, which=which)
    q = vm.qmp()
    t = QtestConn(os.path.join(vm.dir, 'qtest.sock'), time.monotonic() + 20)
    return vm, q, t


def converse(which, extra, steps):
    vm, q, t = launch(which, extra)
    out = []
    try:
        for step in steps:
            kind = step[0]
            if kind == 'qmp':
                r = q.cmd(step[1], step[2] if len(step) > 2 else None)
                r.pop('timestamp', None)
                out.append(('qmp', step[1], r))
            elif kind == 'qt':
                out.append(('qt', step[1], t.cmd(step[1])))
            elif kind == 'event':
                ev = q.wait_event(step[1])
                out.append(('event', ev['event'], ev.get('data')))
        return out
    finally:
        vm.close()


def differential(name, steps, extra=()):
    def test():
        tern = converse('tern', list(extra), steps)
        qemu = converse('qemu', list(extra), steps)
        for a, b in zip(tern, qemu):
            if a != b:
                raise AssertionError('%s: Tern %r\n   QEMU %r' % (name, a, b))
        assert len(tern) == len(qemu)
    test.__name__ = name
    return test


def qt(line):
    return ('qt', line)


def qmp(cmd, args=None):
    return ('qmp', cmd, args)


REGS = [qt('inl 0xae00'), qt('inl 0xae04'), qt('inl 0xae08'), qt('inl 0xae0c'),
        qt('inl 0xae10'), qt('inl 0xae14'), qt('inw 0xafe0')]

TESTS = [
    differential('registers-idle', REGS + [
        qt('inb 0xae00'), qt('inw 0xae0c'), qt('inl 0xae01'), qt('inl 0xae18'),
        qt('outl 0xae10 0x1'), qt('inl 0xae10'), qt('inl 0xae0c'), qt('inl 0xae00'),
        qt('outl 0xae10 0x0'), qt('outl 0xae0c 0x0'), qt('inl 0xae0c'),
        qt('outl 0xae00 0xffffffff'), qt('outl 0xae04 0xffffffff'), qt('inl 0xae04'),
    ]),
    differential('add-then-eject', [
        qt('outw 0xafe2 0x2'),
        qmp('device_add', {'driver': 'pci-testdev', 'id': 't1', 'addr': '0x4'}),
        qt('inw 0xafe0'), qt('inl 0xae00'), qt('inl 0xae00'), qt('inl 0xae04'),
        qt('outw 0xafe0 0x2'), qt('inw 0xafe0'),
        qmp('device_del', {'id': 't1'}),
        qt('inw 0xafe0'), qt('inl 0xae04'),
        qmp('device_del', {'id': 't1'}),
        qt('outl 0xae08 0x10'),
        ('event', 'DEVICE_DELETED'),
        qt('inl 0xae04'),
        qmp('device_del', {'id': 't1'}),
    ]),
    differential('auto-slot-and-anonymous', [
        qmp('device_add', {'driver': 'pci-testdev'}),
        qmp('device_add', {'driver': 'pci-testdev', 'id': 'b'}),
        qt('inl 0xae00'),
        qmp('device_del', {'id': '/machine/peripheral-anon/device[0]'}),
        qt('inl 0xae04'),
        qt('outl 0xae08 0x4'),
        ('event', 'DEVICE_DELETED'),
        qmp('device_add', {'driver': 'pci-testdev', 'id': 'c'}),
        qt('inl 0xae00'),
    ]),
    differential('eject-cold-plugged', [
        qmp('device_del', {'id': 'cold'}),
        qt('inl 0xae04'),
        qt('outl 0xae08 0xc'),     # slot 2 only: the lowest bit set
        ('event', 'DEVICE_DELETED'),
        qt('inl 0xae04'),
    ], extra=['-device', 'pci-testdev,id=cold', '-device', 'pci-testdev,id=cold3']),
    differential('virtio-blk', [
        qmp('device_add', {'driver': 'virtio-blk-pci', 'id': 'vb', 'drive': 'd0'}),
        qt('inl 0xae00'),
        qmp('device_add', {'driver': 'virtio-blk-pci', 'id': 'vb2', 'drive': 'd0'}),
        qmp('device_del', {'id': 'vb'}),
        qt('inl 0xae04'),
        qt('outl 0xae08 0x4'),
        ('event', 'DEVICE_DELETED'),
        ('event', 'DEVICE_DELETED'),
        # A -drive backend goes away with its device, as on QEMU.
        qmp('device_add', {'driver': 'virtio-blk-pci', 'id': 'vb', 'drive': 'd0'}),
    ], extra=['-drive', 'if=none,id=d0,file=null-co://,format=raw']),
    differential('refusals', [
        qmp('device_add', {'driver': 'isa-debug-exit', 'id': 's1'}),
        qmp('device_add', {'driver': 'nonexistent'}),
        qmp('device_add', {'id': 'x'}),
        qmp('device_add', {'driver': 'pci-testdev', 'bogus': 1}),
        qmp('device_add', {'driver': 'pci-testdev', 'a,id=x': '1'}),
        qmp('device_add', {'driver': 'pci-testdev', 'bus': 'pci.1'}),
        qmp('device_add', {'driver': 'pci-testdev', 'bus': 'pci.0', 'id': 'dup'}),
        qmp('device_add', {'driver': 'pci-testdev', 'id': 'dup'}),
        qmp('device_add', {'driver': 'pci-testdev', 'addr': '0x20'}),
        qmp('device_add', {'driver': 'pci-testdev', 'addr': '0x1'}),
        qmp('device_del', {'id': 'nope'}),
        qmp('device_del', {'id': 'ser'}),
        qmp('device_del'),
        qmp('device_del', {'id': 5}),
        qmp('device_add', {'driver': 'virtio-blk-pci', 'drive': 'empty'}),
        qmp('device_add', {'driver': 'virtio-blk-pci', 'drive': 'nosuch'}),
        qt('inl 0xae00'),
    ], extra=['-device', 'isa-debug-exit,id=ser', '-drive', 'if=none,id=empty']),
]

if __name__ == '__main__':
    try:
        status = run_tests(TESTS, jobs=2)
    finally:
        shutil.rmtree(_HLT_DIR, ignore_errors=True)
    sys.exit(status)
