#!/usr/bin/env python3
"""GUEST_PANICKED end to end: a guest payload writes isa-pvpanic's port and
QMP reports the panic with each panic action (set-action), as QEMU does:
pause -> GUEST_PANICKED(pause), STOP, status guest-panicked, cont refused;
shutdown (default) -> GUEST_PANICKED(poweroff), SHUTDOWN(guest-panic), exit 0;
none -> GUEST_PANICKED(run), the guest goes on to isa-debug-exit;
-action panic=exit-failure -> GUEST_PANICKED(poweroff), exit status 1."""
import json
import os
import select
import subprocess
import sys
import time

from tap import run_tests

TERN = os.environ['TERN_BINARY']
PAYLOAD = os.path.join(os.environ['TERN_PAYLOAD_DIR'], 'panic.elf')
TIMEOUT = 30


class Vm:
    def __init__(self, *extra):
        self.p = subprocess.Popen(
            [TERN, '-M', 'pc', '-S', '-nodefaults', '-display', 'none',
             '-device', 'pvpanic', '-kernel', PAYLOAD, '-qmp', 'stdio', *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buf = b''
        greeting = self.read()
        assert 'QMP' in greeting, greeting
        assert self.cmd('qmp_capabilities') == {}

    def read(self):
        deadline = time.monotonic() + TIMEOUT
        while b'\r\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise TimeoutError('no QMP message')
            data = os.read(self.p.stdout.fileno(), 65536)
            if not data:
                raise EOFError('QMP closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\r\n', 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {'execute': name, 'id': name}
        if args:
            msg['arguments'] = args
        self.p.stdin.write(json.dumps(msg).encode() + b'\n')
        self.p.stdin.flush()
        while True:
            m = self.read()
            if m.get('id') == name:
                return m.get('return', m.get('error'))
            self.events.append(m)

    events = None

    def wait_event(self, name):
        for i, e in enumerate(self.events):
            if e['event'] == name:
                return self.events.pop(i)
        while True:
            m = self.read()
            if m.get('event') == name:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        return self.p.wait(TIMEOUT)


def start(*extra):
    vm = Vm.__new__(Vm)
    vm.events = []
    Vm.__init__(vm, *extra)
    return vm


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
