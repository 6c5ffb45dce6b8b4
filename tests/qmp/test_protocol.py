#!/usr/bin/env python3
"""QMP protocol over real sockets: greeting, negotiation, ids, OOB, events
on several monitors, run-state commands, reconnects and every way of
attaching a monitor (unix, tcp, stdio, inherited fd, -daemonize).

Expectations were taken from QEMU 7.2; QMP_TEST_TARGET=qemu runs this
file against QEMU to check them (the payload tests need Tern)."""

import sys

from qmptest import (Conn, QmpError, Vm, base_argv, check_event_shape, free_tcp_port,
                     json, os, payload, re, run_tests, socket, subprocess, target, time,
                     TIMEOUT)

STATUS = {'status': 'prelaunch', 'singlestep': False, 'running': False}
NEGOTIATE_FIRST = {'error': {'class': 'CommandNotFound', 'desc':
                             "Expecting capabilities negotiation with 'qmp_capabilities'"}}
ALREADY = {'error': {'class': 'CommandNotFound', 'desc':
                     'Capabilities negotiation is already complete, command ignored'}}


def running_vm(extra=()):
    """A -S VM whose vCPU can really run: Tern gets the endless counter
    payload (no firmware needed); QEMU runs SeaBIOS under TCG."""
    if target() == 'tern':
        extra = ['-kernel', payload('counter')] + list(extra)
    return Vm(extra)


def test_greeting_exact():
    with Vm() as vm:
        c = vm.connect()
        raw = c.read_raw()
        m = re.fullmatch(rb'\{"QMP": \{"version": \{"qemu": \{"micro": (\d+), "minor": 2, '
                         rb'"major": 7\}, "package": "([^"]*)"\}, "capabilities": \["oob"\]\}\}'
                         rb'\r\n', raw)
        assert m, raw
        if target() == 'tern':
            assert m.group(1) == b'0', raw
            assert m.group(2).startswith(b'tern-') and len(m.group(2)) > 5, raw


def test_negotiation_mode():
    with Vm() as vm:
        c = vm.connect()
        c.greeting()
        assert c.cmd('query-status') == NEGOTIATE_FIRST
        assert c.cmd('query-version', id='a') == dict(NEGOTIATE_FIRST, id='a')
        assert c.cmd('no-such-command') == NEGOTIATE_FIRST
        assert c.cmd('qmp_capabilities', id=1) == {'return': {}, 'id': 1}
        assert c.cmd('qmp_capabilities') == ALREADY
        assert c.cmd('qmp_capabilities', id='x') == dict(ALREADY, id='x')
        assert c.cmd('no-such-command') == {'error': {
            'class': 'CommandNotFound', 'desc': 'The command no-such-command has not been found'}}
        assert c.cmd_ok('query-status') == STATUS


def test_id_any_json_value():
    ids = ['str', '', 0, 7, -12345678901, 1.5, True, False, None, {'a': [1, 2]},
           [1, 'two', {'3': None}], {}, [], 'é\U0001F600', 'a\x00b']
    with Vm() as vm:
        c = vm.qmp()
        for i in ids:
            r = c.cmd('query-status', id=i)
            assert r == {'return': STATUS, 'id': i}, (i, r)
        # the id comes back on errors too, ahead of the error
        raw_reply = None
        c.send('{"execute": "no-such", "id": {"k": [1]}}\n')
        raw_reply = c.read_raw()
        assert raw_reply == (b'{"id": {"k": [1]}, "error": {"class": "CommandNotFound", '
                             b'"desc": "The command no-such has not been found"}}\r\n'), raw_reply


def test_oob_needs_enable():
    unexpected = "QMP input member 'exec-oob' is unexpected"
    with Vm() as vm:
        c = vm.qmp()
        r = c.cmd_raw('{"exec-oob": "query-status", "id": 3}')
        assert r == {'id': 3, 'error': {'class': 'GenericError', 'desc': unexpected}}, r
    with Vm() as vm:
        c = vm.connect()
        c.greeting()
        assert c.cmd('qmp_capabilities', {'enable': ['oob']}) == {'return': {}}
        r = c.cmd_raw('{"exec-oob": "query-status", "id": 3}')
        assert r == {'id': 3, 'error': {'class': 'GenericError', 'desc':
                                         'The command query-status does not support OOB'}}, r
        r = c.cmd_raw('{"execute": "query-status", "exec-oob": "query-status", "id": 4}')
        assert r == {'id': 4, 'error': {'class': 'GenericError', 'desc':
                                         "QMP input member 'execute' clashes with 'exec-oob'"}}, r
        r = c.cmd_raw('{"exec-oob": "no-such", "id": 6}')
        assert r['error']['class'] == 'CommandNotFound', r
        assert c.cmd_ok('query-status') == STATUS


PRETTY_STATUS = (b'{\r\n    "return": {\r\n        "status": "prelaunch",\r\n'
                 b'        "singlestep": false,\r\n        "running": false\r\n    },\r\n'
                 b'    "id": [\r\n        1,\r\n        {\r\n            "a": 2\r\n'
                 b'        }\r\n    ]\r\n}\r\n')


def test_two_monitors_events_and_pretty():
    extra = ['-chardev', 'socket,id=m2,path={dir}/m2.sock,server=on,wait=off',
             '-mon', 'chardev=m2,mode=control,pretty=on']
    with Vm(extra) as vm:
        a = vm.qmp()
        b = vm.connect(os.path.join(vm.dir, 'm2.sock'), pretty=True)
        g = b.read_raw()
        assert g.startswith(b'{\r\n    "QMP": {\r\n        "version": {\r\n'), g
        assert g.endswith(b'        "capabilities": [\r\n            "oob"\r\n        ]\r\n'
                          b'    }\r\n}\r\n'), g
        b.send('{"execute": "qmp_capabilities"}')
        assert b.read_raw() == b'{\r\n    "return": {\r\n    }\r\n}\r\n'
        b.send('{"execute": "query-status", "id": [1, {"a": 2}]}')
        assert b.read_raw() == PRETTY_STATUS
        # An event goes to both negotiated monitors.
        a.cmd_ok('system_powerdown')
        ev = a.wait_event('POWERDOWN')
        check_event_shape(ev, 'POWERDOWN')
        assert 'data' not in ev
        raw = b.read_raw()
        assert re.fullmatch(rb'\{\r\n    "timestamp": \{\r\n        "seconds": \d+,\r\n'
                            rb'        "microseconds": \d+\r\n    \},\r\n'
                            rb'    "event": "POWERDOWN"\r\n\}\r\n', raw), raw
        # the reply went to the first monitor only
        b.send('{"execute": "query-status"}')
        assert b'"status": "prelaunch"' in b.read_raw()


def test_events_only_after_negotiation():
    with Vm() as vm:
        a = vm.qmp()
        # a second, not yet negotiated client is not possible on one
        # monitor; instead check that a fresh client after reconnect sees
        # no event before it negotiates.
        a.close()
        c = vm.connect()
        c.greeting()
        # Powerdown is refused before negotiation, so nothing happens.
        assert c.cmd('system_powerdown') == NEGOTIATE_FIRST
        assert c.cmd('qmp_capabilities') == {'return': {}}
        assert c.cmd('query-status') == {'return': STATUS}
        assert c.events == []


def test_stop_cont_events():
    with running_vm() as vm:
        c = vm.qmp()
        assert c.cmd_ok('cont') == {}
        check_event_shape(c.wait_event('RESUME'), 'RESUME')
        st = c.cmd_ok('query-status')
        assert st == {'status': 'running', 'singlestep': False, 'running': True}, st
        assert c.cmd_ok('stop') == {}
        check_event_shape(c.wait_event('STOP'), 'STOP')
        st = c.cmd_ok('query-status')
        assert st == {'status': 'paused', 'singlestep': False, 'running': False}, st
        assert c.cmd_ok('cont') == {}
        c.wait_event('RESUME')
        assert c.cmd_ok('query-status')['status'] == 'running'
        # stop twice: the second is a no-op without an event
        assert c.cmd_ok('stop') == {}
        c.wait_event('STOP')
        assert c.cmd_ok('stop') == {}
        assert c.cmd_ok('query-status')['status'] == 'paused'
        assert not any(e['event'] == 'STOP' for e in c.events), c.events


def test_reset_event():
    with Vm() as vm:
        c = vm.qmp()
        assert c.cmd_ok('system_reset') == {}
        ev = c.wait_event('RESET')
        check_event_shape(ev, 'RESET')
        assert ev['data'] == {'guest': False, 'reason': 'host-qmp-system-reset'}, ev
        assert c.cmd_ok('query-status') == STATUS


def test_quit_shutdown_event():
    with Vm() as vm:
        c = vm.qmp()
        c.send('{"execute": "quit", "id": "bye"}\n')
        got = [c.recv(), c.recv()]
        # QEMU sends the event first on some paths: accept either order.
        reply = [m for m in got if 'event' not in m]
        ev = [m for m in got if 'event' in m]
        assert reply == [{'return': {}, 'id': 'bye'}], got
        check_event_shape(ev[0], 'SHUTDOWN')
        assert ev[0]['data'] == {'guest': False, 'reason': 'host-qmp-quit'}, ev
        c.expect_eof()
        assert vm.wait() == 0


def test_reconnect_renegotiates():
    with Vm() as vm:
        c = vm.qmp()
        assert c.cmd_ok('query-status') == STATUS
        c.close()
        for _ in range(3):
            d = vm.connect()
            d.greeting()
            assert d.cmd('query-status') == NEGOTIATE_FIRST
            assert d.cmd('qmp_capabilities') == {'return': {}}
            assert d.cmd_ok('query-status') == STATUS
            d.close()


def test_reconnect_after_half_command():
    with Vm() as vm:
        c = vm.qmp()
        c.send('{"execute": "query-st')
        c.close()
        d = vm.connect()
        d.greeting()
        # the half command is gone with its client
        assert d.cmd('qmp_capabilities') == {'return': {}}
        assert d.cmd_ok('query-status') == STATUS


def test_tcp():
    for attempt in range(3):
        port = free_tcp_port()
        with Vm(['-qmp', 'tcp:127.0.0.1:%d,server=on,wait=off' % port], qmp=False) as vm:
            try:
                c = Conn.tcp(port, timeout=5)
            except OSError:
                if vm.alive():
                    raise
                continue    # someone took the port between our probe and bind
            c.negotiate()
            assert c.cmd_ok('query-status') == STATUS
            c.close()
            return
    raise QmpError('no free tcp port')


def test_stdio():
    vm = Vm(['-qmp', 'stdio'], qmp=False, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        out = vm.proc.stdout
        line = out.readline()
        assert line.endswith(b'\r\n'), line
        assert 'QMP' in json.loads(line)
        vm.proc.stdin.write(b'{"execute": "qmp_capabilities"}\n{"execute": "query-status"}\n')
        vm.proc.stdin.flush()
        assert out.readline() == b'{"return": {}}\r\n'
        assert json.loads(out.readline()) == {'return': STATUS}
        vm.proc.stdin.write(b'{"execute": "quit"}\n')
        vm.proc.stdin.flush()
        rest = [json.loads(out.readline()), json.loads(out.readline())]
        assert {'return': {}} in rest, rest
        assert out.readline() == b''
        assert vm.wait() == 0
    finally:
        vm.proc.stdin.close()
        vm.proc.stdout.close()
        vm.close()


def test_inherited_listening_fd():
    """As libvirt does: a listening socket passed in, served with fd=N."""
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    vm = None
    try:
        import tempfile
        d = tempfile.mkdtemp(prefix='tern-qmpfd-')
        path = os.path.join(d, 'l.sock')
        lsock.bind(path)
        lsock.listen(8)
        fd = lsock.fileno()
        vm = Vm(['-chardev', 'socket,id=c,fd=%d,server=on,wait=off' % fd,
                 '-mon', 'chardev=c,mode=control'], qmp=False, pass_fds=(fd,))
        lsock.close()
        for _ in range(2):      # the same socket serves the next client
            c = Conn.unix(path)
            c.negotiate()
            assert c.cmd_ok('query-status') == STATUS
            c.close()
        os.unlink(path)
        os.rmdir(d)
    finally:
        lsock.close()
        if vm:
            vm.close()


def test_daemonize_pidfile():
    import tempfile
    d = tempfile.mkdtemp(prefix='tern-qmpd-')
    sock = os.path.join(d, 'qmp.sock')
    pidfile = os.path.join(d, 'pid')
    argv = base_argv() + ['-qmp', 'unix:%s,server=on,wait=off' % sock, '-daemonize',
                          '-pidfile', pidfile]
    pid = None
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
        assert r.returncode == 0, r.stderr
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
        # no retry: the socket must accept as soon as the parent is gone
        c = Conn.unix(sock, retry=False)
        c.negotiate()
        assert c.cmd_ok('query-status') == STATUS
        c.send('{"execute": "quit"}\n')
        c.recv()
        c.expect_eof()
        c.close()
        pid = None
    finally:
        if pid:
            os.kill(pid, 9)
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def test_messages_are_lines():
    """Several commands in one write get one CRLF-terminated line each, in
    order, interleaved events included."""
    with Vm() as vm:
        c = vm.qmp()
        c.send('{"execute": "query-status", "id": 1}{"execute": "system_reset", "id": 2}'
               '\n{"execute": "query-status", "id": 3}\r\n')
        got = [c.recv() for _ in range(4)]
        replies = [m for m in got if 'event' not in m]
        assert [m['id'] for m in replies] == [1, 2, 3], got
        assert [m['event'] for m in got if 'event' in m] == ['RESET'], got


TESTS = [test_greeting_exact, test_negotiation_mode, test_id_any_json_value,
         test_oob_needs_enable, test_two_monitors_events_and_pretty,
         test_events_only_after_negotiation, test_stop_cont_events, test_reset_event,
         test_quit_shutdown_event, test_reconnect_renegotiates,
         test_reconnect_after_half_command, test_tcp, test_stdio, test_inherited_listening_fd,
         test_daemonize_pidfile, test_messages_are_lines]

if __name__ == '__main__':
    sys.exit(run_tests(TESTS))
