#!/usr/bin/env python3
"""Runs a VMM command line with a QMP monitor on a unix socket added,
negotiates, and prints every event as 'QMP-EVENT NAME DATA' until the VMM
exits; exits with the VMM's status. The VMM's own stdout (the guest's
serial console) passes through. Usage: qmp-watch.py VMM [ARGS...]"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def main():
    sock_dir = tempfile.mkdtemp()
    path = os.path.join(sock_dir, 'qmp.sock')
    argv = sys.argv[1:] + ['-chardev', 'socket,id=qmpw,path=%s,server=on,wait=on' % path,
                           '-mon', 'chardev=qmpw,mode=control']
    vmm = subprocess.Popen(argv)
    deadline = time.monotonic() + 60
    s = socket.socket(socket.AF_UNIX)
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if vmm.poll() is not None or time.monotonic() > deadline:
                print('qmp-watch: cannot connect to %s' % path, flush=True)
                vmm.kill()
                return 1
            time.sleep(0.01)
    f = s.makefile('rwb')
    f.readline()                                   # greeting
    f.write(b'{"execute":"qmp_capabilities"}\n')
    f.flush()
    for line in f:
        msg = json.loads(line)
        if 'event' in msg:
            print('QMP-EVENT %s %s' % (msg['event'], json.dumps(msg.get('data', {}),
                                                              sort_keys=True)), flush=True)
    rc = vmm.wait()
    os.unlink(path)
    os.rmdir(sock_dir)
    return rc


if __name__ == '__main__':
    sys.exit(main())
