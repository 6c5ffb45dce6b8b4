#!/usr/bin/env python3
"""GUEST_PANICKED end to end: a guest payload writes isa-pvpanic's port and
QMP reports the panic with each panic action (set-action), as QEMU does:
pause -> GUEST_PANICKED(pause), STOP, status guest-panicked, cont refused;
shutdown (default) -> GUEST_PANICKED(poweroff), SHUTDOWN(guest-panic), exit 0;
none -> GUEST_PANICKED(run), the guest goes on to isa-debug-exit;
-action panic=exit-failure -> GUEST_PANICKED(poweroff), exit status 1."""
import os
import sys

from qmpstdio import QmpStdio
from tap import run_tests

TERN = os.environ['TERN_BINARY']
PAYLOAD = os.path.join(os.environ['TERN_PAYLOAD_DIR'], 'panic.elf')
TIMEOUT = 30


class Vm(QmpStdio):
    def __init__(self, *extra):
        super().__init__([TERN, '-M', 'pc', '-S', '-nodefaults', '-display', 'none',
                          '-device', 'pvpanic', '-kernel', PAYLOAD, *extra], timeout=TIMEOUT)

    def close(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        return self.p.wait(TIMEOUT)


def start(*extra):
    return Vm(*extra)


def test_pause():
    vm = start()
    assert vm.cmd('set-action', panic='pause') == {}
    assert vm.cmd('cont') == {}
    e = vm.wait_event('GUEST_PANICKED')
    assert e['data'] == {'action': 'pause'}, e
    vm.wait_event('STOP')
    st = vm.cmd('query-status')
    assert st['status'] == 'guest-panicked' and not st['running'], st
    err = vm.cmd('cont')
    assert err == {'class': 'GenericError',
                   'desc': 'Resetting the Virtual Machine is required'}, err
    vm.cmd('quit')
    assert vm.close() == 0


def test_shutdown_default():
    vm = start()
    assert vm.cmd('cont') == {}
    assert vm.wait_event('GUEST_PANICKED')['data'] == {'action': 'poweroff'}
    assert vm.wait_event('SHUTDOWN')['data'] == {'guest': True, 'reason': 'guest-panic'}
    assert vm.close() == 0


def test_none():
    vm = start('-device', 'isa-debug-exit,iobase=0xf4,iosize=4')
    assert vm.cmd('set-action', panic='none') == {}
    assert vm.cmd('cont') == {}
    assert vm.wait_event('GUEST_PANICKED')['data'] == {'action': 'run'}
    assert vm.close() == 33   # the payload ran on to isa-debug-exit(EXIT_OK)


def test_exit_failure():
    vm = start('-action', 'panic=exit-failure')
    assert vm.cmd('cont') == {}
    assert vm.wait_event('GUEST_PANICKED')['data'] == {'action': 'poweroff'}
    assert vm.close() == 1


if __name__ == '__main__':
    sys.exit(run_tests([test_pause, test_shutdown_default, test_none, test_exit_failure]))
