"""A VMM process with its QMP monitor on stdin/stdout, shared by the Python
guest tests: read messages with a deadline, run commands (events that
arrive meanwhile are kept), wait for an event."""
import json
import os
import select
import subprocess
import time

TIMEOUT = 30


class QmpStdio:
    def __init__(self, argv, stderr=None, timeout=TIMEOUT):
        self.timeout = timeout
        self.p = subprocess.Popen(argv + ['-qmp', 'stdio'], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=stderr)
        self.buf = b''
        self.events = []
        greeting = self.read()
        assert 'QMP' in greeting, greeting
        assert self.cmd('qmp_capabilities') == {}

    def read(self):
        deadline = time.monotonic() + self.timeout
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise TimeoutError('no QMP message within %d s' % self.timeout)
            data = os.read(self.p.stdout.fileno(), 65536)
            if not data:
                err = self.p.stderr.read().decode(errors='replace')[-400:] if self.p.stderr else ''
                raise EOFError('QMP closed ' + err)
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def cmd(self, name, **args):
        """The command's return value, or its error object."""
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

    def wait_event(self, name):
        for i, e in enumerate(self.events):
            if e['event'] == name:
                return self.events.pop(i)
        while True:
            m = self.read()
            if m.get('event') == name:
                return m
            self.events.append(m)
