"""Shared helpers for the Python QMP tests: start Tern (or QEMU, the oracle)
with a QMP socket, talk QMP over it with timeouts, and a tiny TAP runner.

Nothing here sleeps to wait for something: every wait is a select() on the
socket (or a process wait) with a deadline.
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 20.0          # seconds, for any single wait
QEMU = 'qemu-system-x86_64'


class QmpError(AssertionError):
    pass


def tern_binary():
    path = os.environ.get('TERN_BINARY')
    if not path:
        raise QmpError('TERN_BINARY is not set (run through meson test)')
    return path


def payload(name):
    return os.path.join(os.environ.get('TERN_PAYLOAD_DIR', ''), name + '.elf')


def target():
    """'tern' normally; QMP_TEST_TARGET=qemu runs the Tern-only suites
    against QEMU, to check that their expectations are QEMU's."""
    return os.environ.get('QMP_TEST_TARGET', 'tern')


def base_argv(which=None):
    which = which or target()
    if which == 'qemu':
        return [QEMU, '-M', 'pc', '-accel', 'tcg', '-m', '64', '-S', '-nodefaults',
                '-display', 'none']
    return [tern_binary(), '-M', 'pc', '-m', '64', '-S', '-nodefaults', '-display', 'none']


# ---------------------------------------------------------------------------
# A QMP connection

class Conn:
    """One client connection. Messages are read one at a time; events that
    arrive while waiting for a reply are kept in self.events."""

    def __init__(self, sock, pretty=False):
        self.sock = sock
        self.buf = b''
        self.pretty = pretty
        self.events = []
        self.eof = False

    @classmethod
    def unix(cls, path, timeout=TIMEOUT, pretty=False, retry=True):
        """Connects; with retry, waits (polling connect, not sleeping on a
        guess) until the server socket exists, for processes just spawned."""
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return cls(s, pretty)
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if not retry or time.monotonic() > deadline:
                    raise
                # Not listening yet (process starting): retry connect().
                select.select([], [], [], 0.01)

    @classmethod
    def tcp(cls, port, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return cls(socket.create_connection(('127.0.0.1', port), timeout=timeout))
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                select.select([], [], [], 0.01)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise QmpError('timeout waiting for data (have %r)' % self.buf[:200])
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            raise QmpError('timeout waiting for data (have %r)' % self.buf[:200])
        try:
            chunk = self.sock.recv(1 << 16)
        except ConnectionResetError:
            chunk = b''
        if not chunk:
            self.eof = True
            raise EOFError('connection closed (have %r)' % self.buf[:200])
        self.buf += chunk

    def read_raw(self, timeout=TIMEOUT):
        """Returns the bytes of the next message including its line end.
        Compact mode: exactly one line ending in CR LF. Pretty mode: lines up
        to one that is just '}' CR LF."""
        deadline = time.monotonic() + timeout
        end = b'\r\n' if not self.pretty else b'\r\n}\r\n'
        while True:
            if self.pretty and self.buf.startswith(b'{\r\n}\r\n'):
                i = 0
            else:
                i = self.buf.find(end)
            if i >= 0:
                n = i + len(end) if not self.pretty or i else len(b'{\r\n}\r\n')
                raw, self.buf = self.buf[:n], self.buf[n:]
                return raw
            self._fill(deadline)

    def recv(self, timeout=TIMEOUT):
        """Next message, parsed; checks the line format on the way."""
        raw = self.read_raw(timeout)
        if not self.pretty:
            if b'\n' in raw[:-2] or b'\r' in raw[:-2]:
                raise QmpError('message spans lines: %r' % raw)
        else:
            body = raw[:-2]
            if re.search(rb'[^\r]\n', body) or body.startswith(b'\n'):
                raise QmpError('bare LF in pretty output: %r' % raw)
        return json.loads(raw.decode('utf-8'))

    def recv_reply(self, timeout=TIMEOUT):
        """Next non-event message; events met on the way go to self.events."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv(max(0.0, deadline - time.monotonic()))
            if 'event' in msg:
                self.events.append(msg)
                continue
            return msg

    def greeting(self):
        msg = self.recv()
        if 'QMP' not in msg:
            raise QmpError('no greeting: %r' % msg)
        return msg

    def cmd_raw(self, text, timeout=TIMEOUT):
        self.send(text if text.endswith('\n') else text + '\n')
        return self.recv_reply(timeout)

    def cmd(self, execute, arguments=None, timeout=TIMEOUT, **extra):
        msg = {'execute': execute}
        if arguments is not None:
            msg['arguments'] = arguments
        msg.update(extra)
        return self.cmd_raw(json.dumps(msg), timeout)

    def cmd_ok(self, execute, arguments=None, **extra):
        r = self.cmd(execute, arguments, **extra)
        if 'return' not in r:
            raise QmpError('%s failed: %r' % (execute, r))
        return r['return']

    def negotiate(self):
        g = self.greeting()
        r = self.cmd('qmp_capabilities')
        if r != {'return': {}}:
            raise QmpError('qmp_capabilities: %r' % r)
        return g

    def wait_event(self, name, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev['event'] == name:
                    return self.events.pop(i)
            msg = self.recv(max(0.0, deadline - time.monotonic()))
            if 'event' not in msg:
                raise QmpError('unexpected reply while waiting for %s: %r' % (name, msg))
            self.events.append(msg)

    def expect_eof(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._fill(deadline)
            except EOFError:
                return self.buf


def check_event_shape(ev, name=None):
    """An event: timestamp {seconds, microseconds} near now, event, data?"""
    assert set(ev) <= {'timestamp', 'event', 'data'}, ev
    assert set(ev['timestamp']) == {'seconds', 'microseconds'}, ev
    assert abs(ev['timestamp']['seconds'] - time.time()) < 120, ev
    assert 0 <= ev['timestamp']['microseconds'] < 1000000, ev
    if name:
        assert ev['event'] == name, ev


# ---------------------------------------------------------------------------
# A VM process

class Vm:
    """Spawns Tern (or QEMU) with extra arguments; self.dir is a private
    temporary directory; '{dir}' in arguments is replaced by it. The
    default monitor is -qmp unix:{dir}/qmp.sock,server=on,wait=off."""

    def __init__(self, extra=(), which=None, qmp=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, pass_fds=(), argv=None):
        self.which = which or target()
        self.dir = tempfile.mkdtemp(prefix='tern-qmptest-')
        self.sock = os.path.join(self.dir, 'qmp.sock')
        args = list(argv) if argv is not None else base_argv(self.which)
        if qmp:
            args += ['-qmp', 'unix:%s,server=on,wait=off' % self.sock]
        args += [a.replace('{dir}', self.dir) for a in extra]
        self.argv = args
        self.stderr_path = os.path.join(self.dir, 'stderr')
        self._stderr = open(self.stderr_path, 'wb')
        self.proc = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=self._stderr,
                                     pass_fds=pass_fds, start_new_session=True)
        self.conns = []

    @property
    def pid(self):
        return self.proc.pid

    def connect(self, path=None, pretty=False):
        path = path or self.sock
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                c = Conn.unix(path, timeout=0.05, pretty=pretty)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if self.proc.poll() is not None:
                    raise QmpError('%s exited with %s before listening: %s'
                                   % (self.which, self.proc.returncode, self.stderr()))
                if time.monotonic() > deadline:
                    raise
        self.conns.append(c)
        return c

    def qmp(self):
        """Connected and negotiated."""
        c = self.connect()
        c.negotiate()
        return c

    def stderr(self):
        self._stderr.flush()
        with open(self.stderr_path, 'rb') as f:
            return f.read().decode(errors='replace')

    def alive(self):
        return self.proc.poll() is None

    def wait(self, timeout=TIMEOUT):
        return self.proc.wait(timeout)

    def rss_peak_kb(self):
        with open('/proc/%d/status' % self.pid) as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
        raise QmpError('no VmHWM')

    def close(self):
        for c in self.conns:
            c.close()
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        self._stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------------
# A tiny TAP runner (meson test protocol: 'tap')

def run_tests(tests, jobs=4):
    """Runs the test functions (in parallel, each on its own VM) and prints
    TAP. Returns the exit status."""
    sel = os.environ.get('QMP_TEST_ONLY')
    if sel:
        tests = [t for t in tests if sel in t.__name__]
    results = [None] * len(tests)

    def one(i):
        t0 = time.monotonic()
        try:
            tests[i]()
            results[i] = (True, '', time.monotonic() - t0)
        except Exception:  # noqa: BLE001 - report any failure as not ok
            results[i] = (False, traceback.format_exc(), time.monotonic() - t0)

    print('1..%d' % len(tests), flush=True)
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(one, range(len(tests))))
    failed = 0
    for i, (ok, tb, dt) in enumerate(results):
        name = tests[i].__name__
        print('%s %d - %s (%.2fs)' % ('ok' if ok else 'not ok', i + 1, name, dt))
        if not ok:
            failed += 1
            for line in tb.rstrip().splitlines():
                print('# ' + line)
    sys.stdout.flush()
    return 1 if failed else 0


def free_tcp_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


__all__ = ['TIMEOUT', 'QEMU', 'QmpError', 'Conn', 'Vm', 'run_tests', 'payload', 'target',
           'base_argv', 'tern_binary', 'check_event_shape', 'free_tcp_port', 'json', 'os',
           'socket', 'subprocess', 'threading', 'time', 'signal', 're', 'select']
