#!/usr/bin/env python3
"""Drives a PCI hot-plug round trip against a running Linux guest: starts
the VMM (its serial console on stdout) with a QMP socket, waits for the
guest's "TERN-GUEST-HOTPLUG ready", hot-adds a virtio-blk-pci in slot 5,
waits for the guest to see it and its disk, then device_del's it and waits
for the guest's eject (DEVICE_DELETED). Every console line and QMP event is
printed; every wait has a deadline. Exits with the VMM's status, or 1.
The VMM's arguments must define the drive hd0.
Usage: hotplug-driver.py VMM [ARGS...]"""
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 120


class Session:
    def __init__(self, argv):
        self.dir = tempfile.mkdtemp()
        path = os.path.join(self.dir, 'qmp.sock')
        argv = argv + ['-chardev', 'socket,id=qmpw,path=%s,server=on,wait=on' % path,
                       '-mon', 'chardev=qmpw,mode=control']
        self.vmm = subprocess.Popen(argv, stdout=subprocess.PIPE)
        deadline = time.monotonic() + 60
        self.qmp = socket.socket(socket.AF_UNIX)
        while True:
            try:
                self.qmp.connect(path)
                break
            except OSError:
                if self.vmm.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError('cannot connect to %s' % path)
                time.sleep(0.01)   # connect retry
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.vmm.stdout, selectors.EVENT_READ, 'console')
        self.sel.register(self.qmp, selectors.EVENT_READ, 'qmp')
        self.buf = {'console': b'', 'qmp': b''}
        self.console, self.events, self.replies = [], [], []
        self.send({'execute': 'qmp_capabilities'})

    def send(self, msg):
        print('QMP-SEND %s' % json.dumps(msg), flush=True)
        self.qmp.sendall(json.dumps(msg).encode() + b'\n')

    def pump(self, deadline):
        for key, _ in self.sel.select(max(0, deadline - time.monotonic())):
            src = key.data
            if src == 'console':
                data = os.read(self.vmm.stdout.fileno(), 65536)
            else:
                data = self.qmp.recv(65536)
            if not data:
                raise RuntimeError('%s closed' % src)
            self.buf[src] += data
            while b'\n' in self.buf[src]:
                line, self.buf[src] = self.buf[src].split(b'\n', 1)
                text = line.decode(errors='replace').rstrip('\r')
                if src == 'console':
                    print(text, flush=True)
                    self.console.append(text)
                    continue
                msg = json.loads(text)
                if 'event' in msg:
                    print('QMP-EVENT %s %s' % (msg['event'], json.dumps(msg.get('data', {}),
                                                                      sort_keys=True)), flush=True)
                    self.events.append(msg)
                elif 'QMP' not in msg:
                    print('QMP-REPLY %s' % json.dumps(msg), flush=True)
                    self.replies.append(msg)

    def wait(self, what, pred):
        deadline = time.monotonic() + TIMEOUT
        while not pred():
            if time.monotonic() > deadline:
                raise RuntimeError('timed out waiting for %s' % what)
            self.pump(deadline)

    def console_has(self, prefix):
        return lambda: any(line.startswith(prefix) for line in self.console)

    def command(self, execute, arguments):
        n = len(self.replies)
        self.send({'execute': execute, 'arguments': arguments})
        self.wait('reply to ' + execute, lambda: len(self.replies) > n)
        return self.replies[n]


def main():
    s = Session(sys.argv[1:])
    try:
        s.wait('the guest to be ready', s.console_has('TERN-GUEST-HOTPLUG ready'))
        r = s.command('device_add', {'driver': 'virtio-blk-pci', 'id': 'hp0',
                                     'drive': 'hd0', 'addr': '0x5'})
        assert 'return' in r, r
        s.wait('the guest to see the disk', s.console_has('TERN-GUEST-HOTPLUG disk'))
        r = s.command('device_del', {'id': 'hp0'})
        assert 'return' in r, r
        s.wait('DEVICE_DELETED for hp0', lambda: any(
            e['event'] == 'DEVICE_DELETED' and e['data'].get('device') == 'hp0'
            for e in s.events))
        s.wait('the guest to finish', lambda: s.vmm.poll() is not None or
               s.console_has('TERN-GUEST-HOTPLUG removed')())
        deadline = time.monotonic() + TIMEOUT
        while s.vmm.poll() is None and time.monotonic() < deadline:
            try:
                s.pump(deadline)
            except RuntimeError:
                break
        return s.vmm.wait(timeout=max(1, deadline - time.monotonic()))
    except (RuntimeError, AssertionError) as e:
        print('hotplug-driver: %s' % e, flush=True)
        s.vmm.kill()
        return 1


if __name__ == '__main__':
    sys.exit(main())
