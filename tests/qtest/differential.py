#!/usr/bin/env python3
"""Runs each qtest script in a directory against Tern (-accel qtest) and
Debian's QEMU 7.2 (-accel tcg -S: Debian drops the qtest accelerator, so
no clock_step there) and compares the replies command by command, IRQ
lines included. Prints TAP, one test per script.

Script format (*.qt): one qtest command per line; blank lines and lines
starting with '#' are skipped; '# args: ...' gives the machine options
(both sides; ${VAR}s are taken from the environment, e.g.
${TERN_PAYLOAD_DIR}). A trailing comment on a command changes the comparison:
  '# mask'            only the reply's first word is compared (time, ...)
  '# known: REASON'   a known difference: listed, not a failure
"""
import os
import selectors
import shlex
import subprocess
import sys
import time

TIMEOUT = 20


def parse(path):
    args, cmds = [], []
    with open(path) as f:
        for raw in f:
            line = raw.rstrip('\n')
            if line.startswith('# args:'):
                args = [os.path.expandvars(a) for a in shlex.split(line[len('# args:'):])]
                if any('$' in a for a in args):
                    raise RuntimeError('%s: unset variable in %r' % (path, args))
                continue
            if not line.strip() or line.startswith('#'):
                continue
            cmd, _, note = line.partition(' #')
            cmds.append((cmd.rstrip(), note.strip()))
    return args, cmds


def run(argv, cmds):
    """Sends every command over -qtest stdio; returns one list of lines
    (IRQ lines, then the reply) per command."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    out, buf = [], b''
    try:
        for cmd, _ in cmds:
            p.stdin.write((cmd + '\n').encode())
            p.stdin.flush()
            lines, deadline = [], time.monotonic() + TIMEOUT
            while True:
                while b'\n' not in buf:
                    if not sel.select(max(0, deadline - time.monotonic())):
                        raise RuntimeError('%s: no reply to %r' % (argv[0], cmd))
                    chunk = os.read(p.stdout.fileno(), 65536)
                    if not chunk:
                        err = p.stderr.read().decode(errors='replace')
                        raise RuntimeError('%s exited at %r: %s' % (argv[0], cmd, err))
                    buf += chunk
                line, buf = buf.split(b'\n', 1)
                lines.append(line.decode())
                if not line.startswith(b'IRQ '):
                    break
            out.append(lines)
    finally:
        p.terminate()
        p.wait(TIMEOUT)
    return out


def main():
    sdir = sys.argv[1]
    tern = os.environ.get('TERN_BINARY')
    if not tern:
        print('Bail out! TERN_BINARY is not set')
        return 1
    qemu = os.environ.get('QEMU_BINARY', 'qemu-system-x86_64')
    scripts = sorted(f for f in os.listdir(sdir) if f.endswith('.qt'))
    print('1..%d' % len(scripts))
    failed = 0
    for n, name in enumerate(scripts, 1):
        args, cmds = parse(os.path.join(sdir, name))
        common = ['-display', 'none', '-qtest', 'stdio', '-qtest-log', 'none'] + args
        try:
            ref = run([qemu, '-accel', 'tcg', '-S'] + common, cmds)
            got = run([tern, '-accel', 'qtest'] + common, cmds)
        except (OSError, RuntimeError) as e:
            print('not ok %d - %s # %s' % (n, name, e))
            failed += 1
            continue
        diffs, known = [], []
        for (cmd, note), r, g in zip(cmds, ref, got):
            if note == 'mask':
                same = [x.split(' ')[0] for x in r] == [x.split(' ')[0] for x in g]
            else:
                same = r == g
            if same:
                continue
            text = '%s: QEMU %s, Tern %s' % (cmd, r, g)
            (known if note.startswith('known:') else diffs).append(
                text + ('  (%s)' % note if note else ''))
        for d in diffs + known:
            print('# ' + d)
        if diffs:
            print('not ok %d - %s' % (n, name))
            failed += 1
        elif known:
            # Not a TAP TODO: meson counts "ok # TODO" as an unexpected pass.
            print('ok %d - %s (%d known difference(s), listed above)' % (n, name, len(known)))
        else:
            print('ok %d - %s (%d commands)' % (n, name, len(cmds)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
