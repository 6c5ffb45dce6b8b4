#!/usr/bin/env python3
"""A new user with qmp-shell: Debian 12 has no qemu.qmp package, so this is
a minimal client written the way QEMU's python QEMUMonitorProtocol works
(connect, read the greeting and insist on its "QMP" key, negotiate, send
each command with an "id" and skip interleaved events until the reply that
carries that id), driving a qmp-shell-like session against Tern."""

import itertools
import json
import os
import shlex
import shutil
import socket
import sys
import tempfile
import threading

from qmptest import Vm, payload, run_tests, target


class QMPError(Exception):
    pass


class MonitorProtocol:
    """The subset of QEMUMonitorProtocol a shell needs."""

    def __init__(self, path, timeout=20.0):
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._path = path
        self._file = None
        self._ids = itertools.count(1)
        self.events = []

    def connect(self):
        self._sock.connect(self._path)
        self._file = self._sock.makefile('rb')
        greeting = self._read()
        if 'QMP' not in greeting:
            raise QMPError('not a QMP greeting: %r' % greeting)
        reply = self.cmd('qmp_capabilities')
        if reply != {'return': {}, 'id': 'shell-1'}:
            raise QMPError('negotiation failed: %r' % reply)
        return greeting

    def _read(self):
        line = self._file.readline()
        if not line:
            raise QMPError('connection closed')
        return json.loads(line)

    def cmd_obj(self, obj):
        self._sock.sendall(json.dumps(obj).encode())
        while True:
            msg = self._read()
            if 'event' in msg:
                self.events.append(msg)
                continue
            if msg.get('id') != obj.get('id'):
                raise QMPError('reply for another id: %r' % msg)
            return msg

    def cmd(self, name, args=None):
        obj = {'execute': name, 'id': 'shell-%d' % next(self._ids)}
        if args:
            obj['arguments'] = args
        return self.cmd_obj(obj)

    def command(self, name, **args):
        r = self.cmd(name, args)
        if 'error' in r:
            raise QMPError(r['error']['desc'])
        return r['return']

    def close(self):
        if self._file:
            self._file.close()
        self._sock.close()


def shell_line(qmp, line):
    """qmp-shell's syntax: 'command key=value ...' (values as JSON when
    they parse, else strings)."""
    words = shlex.split(line)
    args = {}
    for w in words[1:]:
        k, _, v = w.partition('=')
        try:
            args[k] = json.loads(v)
        except ValueError:
            args[k] = v
    return qmp.cmd(words[0], args)


def test_shell_session():
    extra = ['-kernel', payload('counter')] if target() == 'tern' else []
    with Vm(extra) as vm:
        vm.connect().close()        # wait until it listens
        qmp = MonitorProtocol(vm.sock)
        try:
            greeting = qmp.connect()
            assert greeting['QMP']['version']['qemu']['major'] == 7
            r = shell_line(qmp, 'query-status')
            assert r['return'] == {'status': 'prelaunch', 'singlestep': False,
                                   'running': False}, r
            assert r['id'] == 'shell-2'
            r = shell_line(qmp, 'cont')
            assert r == {'return': {}, 'id': 'shell-3'}, r
            assert qmp.command('query-status')['status'] == 'running'
            r = shell_line(qmp, 'stop')
            assert r == {'return': {}, 'id': 'shell-5'}, r
            assert qmp.command('query-status')['status'] == 'paused'
            # the events came in between and were set aside
            names = [e['event'] for e in qmp.events]
            assert 'RESUME' in names and 'STOP' in names, names
            r = shell_line(qmp, 'human-monitor-command command-line="info status"')
            assert r['return'] == 'VM status: paused\r\n', r
            r = shell_line(qmp, 'query-status bogus=1')
            assert r['error'] == {'class': 'GenericError',
                                  'desc': "Parameter 'bogus' is unexpected"}, r
            assert qmp.command('query-version')['qemu']['minor'] == 2
        finally:
            qmp.close()


def test_requires_qmp_key():
    """The client refuses a server whose greeting lacks "QMP"."""
    d = tempfile.mkdtemp(prefix='tern-qmpshell-')
    path = os.path.join(d, 's')
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        srv.bind(path)
        srv.listen(1)

        def serve():
            conn, _ = srv.accept()
            conn.sendall(b'{"hello": 1}\r\n')
            conn.close()

        t = threading.Thread(target=serve)
        t.start()
        qmp = MonitorProtocol(path, timeout=5)
        try:
            qmp.connect()
            raise AssertionError('accepted a greeting without "QMP"')
        except QMPError as e:
            assert 'not a QMP greeting' in str(e), e
        finally:
            qmp.close()
            t.join()
    finally:
        srv.close()
        shutil.rmtree(d)


TESTS = [test_shell_session, test_requires_qmp_key]

if __name__ == '__main__':
    sys.exit(run_tests(TESTS))
