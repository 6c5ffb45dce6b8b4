#!/usr/bin/env python3
"""virtio-blk-pci driven from inside a guest: virtio-blk.elf finds the
function by PCI configuration mechanism #1, assigns its BARs, sets up one
queue through the modern (MMIO) interface, and then at CPL3 issues 4 KiB
reads and writes by polling the used ring (README.md in payloads/).

Each case boots Tern with -no-shutdown, waits for the SHUTDOWN event of the
payload's final triple fault, reads the results page with pmemsave and
checks the disk image file afterwards. When QEMU 7.2 and /dev/kvm are there,
the same payload on QEMU gives the same results page (the payload's own
check: a failure there is the payload's fault, not Tern's).

The image pattern: the u64 at byte offset o holds KEY_DISK + o; the payload
writes KEY_GUEST + o into the blocks it writes."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from array import array

from qmpstdio import QmpStdio
from tap import run_tests

TERN = os.environ['TERN_BINARY']
PAYLOAD = os.path.join(os.environ['TERN_PAYLOAD_DIR'], 'virtio-blk.elf')
QEMU = shutil.which('qemu-system-x86_64')
QBOOT = '/usr/share/qemu/qboot.rom'
TIMEOUT = 60

KEY_DISK = 0x5445524e00000000
KEY_GUEST = 0x5449525700000000
DONE = 0x454e4f44
BLK = 4096

# Results page fields (u64 index: 0x5000 + 8 * i).
PLANNED, COMPLETED, DONE_F, TSC0, TSC1, STATUS_ERR, MISMATCH, TIMED_OUT, \
    CAPACITY, BDF, QSIZE, QD, FIRST_BAD, PHASES = range(14)


def make_image(path, mib=4):
    """The host's pattern: KEY_DISK + byte offset in every u64."""
    size = mib << 20
    with open(path, 'wb') as f:
        f.write(array('Q', range(KEY_DISK, KEY_DISK + size, 8)).tobytes())


def image_mismatches(path, guest_blocks):
    """Counts u64s that differ from what the image must hold: KEY_GUEST +
    offset inside guest_blocks (a range of 4 KiB blocks), KEY_DISK + offset
    elsewhere."""
    d = array('Q')
    with open(path, 'rb') as f:
        d.frombytes(f.read())
    lo, hi = guest_blocks.start * BLK // 8, guest_blocks.stop * BLK // 8
    want = array('Q', range(KEY_DISK, KEY_DISK + lo * 8, 8))
    want.extend(range(KEY_GUEST + lo * 8, KEY_GUEST + hi * 8, 8))
    want.extend(range(KEY_DISK + hi * 8, KEY_DISK + len(d) * 8, 8))
    return sum(1 for a, b in zip(d, want) if a != b) + abs(len(d) - len(want))


class Vm(QmpStdio):
    """A VMM on -qmp stdio with the serial console in a file."""

    def __init__(self, argv, tmp):
        self.tmp = tmp
        self.console = os.path.join(tmp, 'console.txt')
        super().__init__(argv + ['-serial', 'file:' + self.console], stderr=subprocess.PIPE,
                         timeout=TIMEOUT)

    def results(self):
        path = os.path.join(self.tmp, 'results.bin')
        assert self.cmd('pmemsave', val=0x5000, size=0x100, filename=path) == {}
        with open(path, 'rb') as f:
            return struct.unpack('<32Q', f.read())

    def output(self):
        with open(self.console, errors='replace') as f:
            return f.read()

    def quit(self):
        self.cmd('quit')
        self.p.stdin.close()
        rc = self.p.wait(TIMEOUT)
        err = self.p.stderr.read().decode(errors='replace')
        assert 'Sanitizer' not in err and 'runtime error' not in err, err
        return rc


def vmm_argv(vmm, image, extra=(), readonly=False):
    drive = 'file=%s,format=raw,if=none,id=d0%s' % (image, ',readonly=on' if readonly else '')
    disk = ['-drive', drive, '-device', 'virtio-blk-pci,drive=d0'] if image else []
    common = ['-m', '256', '-nodefaults', '-display', 'none', '-no-reboot', '-no-shutdown',
              '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', PAYLOAD]
    if vmm == 'tern':
        head = [TERN, '-M', 'pc']
    else:
        head = [QEMU, '-M', 'pc', '-accel', 'kvm'] + (['-bios', QBOOT] if os.path.exists(QBOOT) else [])
    return head + common + disk + list(extra)


def run_payload(vmm, image, append, readonly=False):
    """Boots the payload to its end; returns (results page, console)."""
    with tempfile.TemporaryDirectory(prefix='tern-vblk-') as tmp:
        # -S then cont: events sent before qmp_capabilities would be lost.
        vm = Vm(vmm_argv(vmm, image, ['-S', '-append', append], readonly), tmp)
        assert vm.cmd('cont') == {}
        vm.wait_event('SHUTDOWN')
        res = vm.results()
        out = vm.output()
        assert vm.quit() == 0
    return res, out


def run_failing(vmm, image, append='', readonly=False):
    """A payload that stops at CPL0 with isa-debug-exit: (status, console)."""
    with tempfile.TemporaryDirectory(prefix='tern-vblk-') as tmp:
        argv = vmm_argv(vmm, image, ['-append', append] if append else [], readonly)
        argv.remove('-no-shutdown')
        console = os.path.join(tmp, 'console.txt')
        p = subprocess.run(argv + ['-serial', 'file:' + console], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=TIMEOUT)
        err = p.stderr.decode(errors='replace')
        assert 'Sanitizer' not in err and 'runtime error' not in err, err
        out = ''
        if os.path.exists(console):
            with open(console, errors='replace') as f:
                out = f.read()
        return p.returncode, out + err


def check_clean(res, planned):
    assert res[DONE_F] == DONE, 'payload did not finish: %r' % (res[:16],)
    assert res[TIMED_OUT] == 0, 'a batch timed out: %d of %d completed' % (res[COMPLETED], planned)
    assert res[PLANNED] == planned and res[COMPLETED] == planned, res[:2]
    assert res[STATUS_ERR] == 0, '%d requests with status != OK' % res[STATUS_ERR]
    assert res[MISMATCH] == 0, '%d blocks mismatched, first %d' % (res[MISMATCH], res[FIRST_BAD])


def with_image(fn):
    with tempfile.TemporaryDirectory(prefix='tern-vblk-img-') as d:
        image = os.path.join(d, 'disk.img')
        make_image(image)
        return fn(image)


def test_read_write_verify():
    """64 sequential reads of the host's pattern, 16 writes at 1 MiB, the 16
    read back; the file holds the guest's blocks and nothing else changed."""
    def body(image):
        res, out = run_payload('tern', image, 'reads=64 writes=16 wstart=256')
        assert 'virtio-blk: 00:' in out and 'capacity=8192 ' in out, out
        check_clean(res, 96)
        assert res[CAPACITY] == 8192 and res[PHASES] == 3
        assert image_mismatches(image, range(256, 272)) == 0
    with_image(body)


def test_queue_depth():
    """32 requests per notification, 3000 random reads, data checked."""
    def body(image):
        res, _ = run_payload('tern', image, 'bench=3000 qd=32 verify=1 seed=7')
        check_clean(res, 3000)
        assert res[QD] == 32 and res[QSIZE] >= 128
        assert image_mismatches(image, range(0)) == 0
    with_image(body)


def test_writes_at_the_end():
    """The last blocks of the disk, written and read back in batches of 4."""
    def body(image):
        res, _ = run_payload('tern', image, 'reads=0 writes=8 wstart=1016 qd=4')
        check_clean(res, 16)
        assert image_mismatches(image, range(1016, 1024)) == 0
    with_image(body)


def test_readonly_drive():
    """A readonly=on drive offers VIRTIO_BLK_F_RO: the payload refuses to
    write (CPL0, isa-debug-exit 0x11 -> 35) and the file is untouched."""
    def body(image):
        rc, out = run_failing('tern', image, 'writes=4', readonly=True)
        assert 'virtio-blk: device is read-only (VIRTIO_BLK_F_RO)' in out, out
        assert rc == 35, rc
        assert image_mismatches(image, range(0)) == 0
    with_image(body)


def test_no_device():
    rc, out = run_failing('tern', None)
    assert 'virtio-blk: no virtio-blk-pci function found' in out, out
    assert rc == 35, rc


def test_same_as_qemu():
    """The same payload on QEMU 7.2 (-accel kvm) fills the results page the
    same way, TSC values aside."""
    if not QEMU or not os.access('/dev/kvm', os.R_OK | os.W_OK):
        print('# skipped: no qemu-system-x86_64 or /dev/kvm')
        return
    got = {}
    for vmm in ('qemu', 'tern'):
        def body(image, vmm=vmm):
            res, _ = run_payload(vmm, image, 'reads=32 writes=8 wstart=64 qd=2')
            check_clean(res, 48)
            assert image_mismatches(image, range(64, 72)) == 0
            # Phase records: type, first, count (the 4th is TSC ticks).
            phases = [res[16 + 4 * p: 19 + 4 * p] for p in range(3)]
            got[vmm] = res[:TSC0] + res[STATUS_ERR:PHASES + 1] + tuple(x for ph in phases for x in ph)
        with_image(body)
    assert got['tern'] == got['qemu'], got


if __name__ == '__main__':
    sys.exit(run_tests([test_read_write_verify, test_queue_depth, test_writes_at_the_end,
                        test_readonly_drive, test_no_device, test_same_as_qemu]))
