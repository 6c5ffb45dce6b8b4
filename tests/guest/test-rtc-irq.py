#!/usr/bin/env python3
"""The RTC seen from a CPL0 guest under KVM: rtc-irq.elf reads the MC146818's
clock (valid BCD, the host's UTC time within a few seconds, as QEMU's default
-rtc base=utc gives) and takes RTC periodic and update-ended interrupts
through the in-kernel IOAPIC (pin 8, 8259s masked) and the local APIC.

QEMU 7.2 runs the same payload (`-M pc -accel kvm -kernel rtc-irq.elf`, with
SeaBIOS or qboot): about 1020 periodic interrupts in one RTC second at the
default 1024 Hz; see tests/guest/payloads/README.md."""
import calendar
import os
import re
import subprocess
import sys
import time

from tap import run_tests

TERN = os.environ['TERN_BINARY']
PAYLOAD = os.path.join(os.environ['TERN_PAYLOAD_DIR'], 'rtc-irq.elf')
TIMEOUT = 60
EXIT_OK, EXIT_FAIL = 33, 35

def run(append=None):
    argv = ['timeout', str(TIMEOUT), TERN, '-M', 'pc', '-accel', 'kvm', '-m', '256',
            '-nodefaults', '-display', 'none', '-no-reboot', '-serial', 'stdio',
            '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', PAYLOAD]
    if append:
        argv += ['-append', append]
    t0 = time.time()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout, p.stderr, t0, time.time()


def bcd(s):
    """Two BCD digits as printed by the payload (each nibble '0'..'9')."""
    assert len(s) == 2 and s.isdigit(), f'not BCD: {s!r}'
    return int(s)


def check_time_line(out, t0, t1):
    m = re.search(r'^rtc: (..)(..)-(..)-(..) (..):(..):(..) regB=(0x[0-9a-f]+)$', out, re.M)
    assert m, out
    century, yy, mon, day, hh, mm, ss = (bcd(x) for x in m.groups()[:7])
    reg_b = int(m.group(8), 16)
    assert reg_b & 0x02 and not reg_b & 0x04, f'want 24-hour BCD mode, register B {reg_b:#x}'
    assert 1 <= mon <= 12 and 1 <= day <= 31 and hh <= 23 and mm <= 59 and ss <= 59, m.group(0)
    rtc = calendar.timegm((century * 100 + yy, mon, day, hh, mm, ss))
    # t0/t1 bracket the run; the RTC counts whole seconds.
    assert int(t0) - 2 <= rtc <= int(t1) + 2, \
        f'RTC {m.group(0)!r} vs host UTC {time.strftime("%F %T", time.gmtime(t0))}'


def check_ioapic_line(out):
    m = re.search(r'^ioapic: id=(0x[0-9a-f]+) ver=(0x[0-9a-f]+)$', out, re.M)
    assert m, out
    ver = int(m.group(2), 16)
    # KVM's in-kernel IOAPIC (QEMU's with -accel kvm too): version 0x11, 24 pins
    assert ver == 0x170011, f'IOAPIC version {ver:#x}'


def test_time_and_interrupts():
    status, out, err, t0, t1 = run()
    assert status == EXIT_OK, (status, out, err)
    check_time_line(out, t0, t1)
    check_ioapic_line(out)
    m = re.search(r'^rtc-irq: (\d+) periodic interrupts, (\d+) in one second, '
                  r'(\d+) update interrupts$', out, re.M)
    assert m, out
    total, per_second, updates = (int(x) for x in m.groups())
    assert total >= 64 and updates == 2, m.group(0)
    # 1024 Hz (RS=6).  Slow handling drops ticks (the flag is set again before
    # register C was read), so a
    # few fewer is fine; 512 or 2048 would be a wrong rate.
    assert 600 <= per_second <= 1025, m.group(0)


def test_bad_rate():
    status, out, err, _, _ = run('rs=1')
    assert status == EXIT_FAIL, (status, out, err)
    assert 'rtc-irq: rs must be 3..15\n' in out, out


if __name__ == '__main__':
    sys.exit(run_tests([test_time_and_interrupts, test_bad_rate]))
