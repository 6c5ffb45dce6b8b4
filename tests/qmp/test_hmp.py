#!/usr/bin/env python3
"""HMP through human-monitor-command: the commands test_differential does
not compare text-for-text with QEMU (their output names Tern's own devices,
thread ids and address spaces) are checked here against what Tern's QMP
says about the same things, and `info registers` line by line against
QEMU 7.2 on KVM (both paused at reset)."""

import re
import shutil

from qmptest import Vm, payload, run_tests


def hmp(c, line, **extra):
    return c.cmd_ok('human-monitor-command', {'command-line': line, **extra})


def test_info_cpus():
    with Vm(['-smp', '2']) as vm:
        c = vm.qmp()
        out = hmp(c, 'info cpus')
        cpus = c.cmd_ok('query-cpus-fast')
        want = ''.join('%s CPU #%d: thread_id=%d\r\n' % ('*' if i == 0 else ' ', i,
                                                         cpu['thread-id'])
                       for i, cpu in enumerate(cpus))
        assert out == want, (out, want)
        # cpu-index picks the current CPU (the '*')
        out1 = hmp(c, 'info cpus', **{'cpu-index': 1})
        assert out1.splitlines()[1].startswith('* CPU #1:'), out1


def test_info_chardev():
    with Vm(['-chardev', 'null,id=nul0', '-chardev', 'file,id=log0,path={dir}/log']) as vm:
        c = vm.qmp()
        out = hmp(c, 'info chardev')
        lines = sorted(out.splitlines())
        want = sorted('%s: filename=%s' % (d['label'], d['filename'])
                      for d in c.cmd_ok('query-chardev'))
        assert lines == want, (lines, want)


def test_info_qtree():
    with Vm(['-device', 'isa-debug-exit,id=dbg,iobase=0xf4,iosize=4']) as vm:
        out = hmp(vm.qmp(), 'info qtree')
        assert out.startswith('bus: main-system-bus\r\n  type System\r\n'), out
        assert '  dev: isa-debug-exit, id "dbg"\r\n' in out, out
        assert '    iobase = 244 (0xf4)\r\n' in out, out
        assert '  dev: mc146818rtc, id ""\r\n' in out, out


def test_info_mtree():
    with Vm(['-m', '128']) as vm:
        c = vm.qmp()
        out = hmp(c, 'info mtree')
        assert 'address-space: I/O\r\n' in out, out
        assert re.search(r'0000000000000070-0000000000000071 \(prio 0, i/o\): rtc\r\n', out), out
        assert re.search(r'0000000000000000-0000000007ffffff \(prio 0, ram\): pc\.ram\r\n', out), out
        flat = hmp(c, 'info mtree -f')
        assert flat.startswith('FlatView #0\r\n AS "memory", root: system\r\n'), flat
        assert '0000000000000000-0000000007ffffff (prio 0, ram): pc.ram KVM\r\n' in flat, flat


def test_run_state_commands():
    with Vm(['-kernel', payload('counter')]) as vm:
        c = vm.qmp()
        assert hmp(c, 'info status') == 'VM status: paused (prelaunch)\r\n'
        assert hmp(c, 'cont') == ''
        c.wait_event('RESUME')
        assert hmp(c, 'info status') == 'VM status: running\r\n'
        assert hmp(c, 'stop') == ''
        c.wait_event('STOP')
        assert hmp(c, 'system_reset') == ''
        assert c.wait_event('RESET')['data'] == {'guest': False,
                                                 'reason': 'host-qmp-system-reset'}
        assert hmp(c, 'system_powerdown') == ''
        c.wait_event('POWERDOWN')
        assert hmp(c, 'q') == ''
        c.wait_event('SHUTDOWN')
        assert vm.wait() == 0


def test_help():
    with Vm() as vm:
        c = vm.qmp()
        out = hmp(c, 'help')
        for cmd in ['cont|c', 'info [subcommand]', 'quit|q', 'stop|s', 'system_powerdown',
                    'system_reset']:
            assert re.search(r'^%s ' % re.escape(cmd), out, re.M), (cmd, out)
        info = hmp(c, 'help info')
        for sub in ['chardev', 'cpus', 'kvm', 'mtree', 'qtree', 'registers', 'status',
                    'version']:
            assert re.search(r'^info %s ' % sub, info, re.M), (sub, info)


def registers(which):
    argv = None
    if which == 'qemu':   # KVM, so both start from KVM's reset state
        argv = ['qemu-system-x86_64', '-M', 'pc', '-accel', 'kvm', '-m', '64', '-S',
                '-nodefaults', '-display', 'none']
    with Vm(which=which, argv=argv) as vm:
        return hmp(vm.qmp(), 'info registers').splitlines()


def test_info_registers_vs_qemu():
    """At reset both show the same state, line for line (EDX holds
    qemu64's signature, 00060fb1, in both)."""
    if not shutil.which('qemu-system-x86_64'):
        raise AssertionError('qemu-system-x86_64 missing (scripts/lib/deps.sh installs it)')
    ours, qemu = registers('tern'), registers('qemu')
    assert len(ours) == len(qemu), (ours, qemu)
    for a, b in zip(ours, qemu):
        assert a == b, 'Tern %r\nQEMU %r' % (a, b)


def test_info_registers_cpu_index():
    with Vm(['-smp', '2']) as vm:
        c = vm.qmp()
        # with several CPUs QEMU heads the dump with the CPU's number
        out = hmp(c, 'info registers', **{'cpu-index': 1})
        assert out.startswith('\r\nCPU#1\r\nEAX='), out
        err = c.cmd('human-monitor-command',
                    {'command-line': 'info registers', 'cpu-index': 7})['error']
        assert err == {'class': 'GenericError',
                       'desc': "Parameter 'cpu-index' expects a CPU number"}, err


if __name__ == '__main__':
    raise SystemExit(run_tests([test_info_cpus, test_info_chardev, test_info_qtree,
                                test_info_mtree, test_run_state_commands, test_help,
                                test_info_registers_vs_qemu, test_info_registers_cpu_index]))
