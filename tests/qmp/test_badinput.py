#!/usr/bin/env python3
"""Hostile and broken clients: truncated and huge input, deep nesting,
wrong argument types for every command, garbage, clients that vanish
mid-command, 200 clients at once. After each, Tern must be alive, answer
query-status on a fresh connection, and have stayed within a memory bound.

Build-agnostic: meson runs this in the normal and the ASan build."""

import random
import sys

from qmptest import Conn, QmpError, Vm, json, re, run_tests, threading, time

RSS_LIMIT_KB = 400 * 1024
# AddressSanitizer keeps up to 256 MB of freed memory in quarantine, plus
# its own bookkeeping: a sanitized Tern gets more room.
RSS_LIMIT_ASAN_KB = 1024 * 1024
STATUS = {'status': 'prelaunch', 'singlestep': False, 'running': False}
SYNC = b'{"execute": "query-status", "id": "sync"}\n'
SYNC_REPLY = (b'{"return": {"status": "prelaunch", "singlestep": false, "running": false}, '
              b'"id": "sync"}\r\n')


def assert_healthy(vm):
    assert vm.alive(), 'died: %s' % vm.stderr()[-2000:]
    c = vm.qmp()
    assert c.cmd_ok('query-status', id='health') == STATUS
    c.close()
    assert vm.alive()
    hwm = vm.rss_peak_kb()
    limit = RSS_LIMIT_ASAN_KB if uses_asan(vm) else RSS_LIMIT_KB
    assert hwm < limit, 'peak RSS %d kB (limit %d kB)' % (hwm, limit)


def uses_asan(vm):
    with open('/proc/%d/maps' % vm.pid) as f:
        return 'libasan' in f.read()


def send_and_collect(c, data, timeout=60):
    """Sends data then SYNC from a thread while this one reads replies (so
    neither side can block on a full socket); returns the replies that
    came before the sync reply."""
    failure = []

    def writer():
        try:
            c.send(data)
            c.send(SYNC)
        except OSError as e:
            failure.append(e)

    t = threading.Thread(target=writer)
    t.start()
    got = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            line = c.read_raw(max(0.0, deadline - time.monotonic()))
            if line == SYNC_REPLY:
                return got
            got.append(line)
    finally:
        t.join()
        assert not failure, failure


# ---- the abuses, each usable on any VM ----

def abuse_truncated_then_disconnect(vm):
    for tail in [b'{"execute": "query-st', b'{"execute": "query-status", "arguments": {',
                 b"{'execute': 'quit", b'{"execute": "quit"', b'[[[[', b'"unterminated']:
        c = vm.qmp()
        c.send(tail)
        c.close()
    assert vm.alive()


def abuse_huge_line(vm):
    """100 MB in one line: a 100 MB string token. QEMU's limit is 64 MB per
    token; the error must come without buffering the whole line."""
    c = vm.qmp()
    data = b'{"execute": "query-status", "id": "' + b'A' * (100 << 20) + b'"}\n'
    got = send_and_collect(c, data)
    assert got and got[0] == (b'{"error": {"class": "GenericError", "desc": '
                              b'"JSON token size limit exceeded"}}\r\n'), got[:3]
    assert all(b'"GenericError"' in g for g in got), got[:5]
    c.close()


def abuse_huge_whitespace(vm):
    """100 MB of whitespace inside one command is not a token: it works."""
    c = vm.qmp()
    data = b'{"execute": "query-status",' + b' \n' * (50 << 20) + b'"id": 1}\n'
    got = send_and_collect(c, data)
    assert [json.loads(g) for g in got] == [{'return': STATUS, 'id': 1}], got[:3]
    c.close()


def abuse_many_tokens(vm):
    c = vm.qmp()
    data = b'{"execute": "query-status", "id": [' + b'1,' * (3 << 20) + b'1]}\n'
    got = send_and_collect(c, data)
    assert got and got[0] == (b'{"error": {"class": "GenericError", "desc": '
                              b'"JSON token count limit exceeded"}}\r\n'), got[:3]
    c.close()


def abuse_deep_nesting(vm):
    c = vm.qmp()
    data = b'{"execute": "query-status", "id": ' + b'[' * 10000 + b']' * 10000 + b'}\n'
    got = send_and_collect(c, data)
    allowed = {b'JSON nesting depth limit exceeded', b'JSON parse error, expecting value',
               b'QMP input must be a JSON object'}
    assert got and b'JSON nesting depth limit exceeded' in got[0], got[:3]
    for g in got:
        assert json.loads(g)['error']['desc'].encode() in allowed, g
    # nesting just below QEMU's limit (1024) is fine
    ok = b'{"execute": "query-status", "id": ' + b'[' * 1000 + b']' * 1000 + b'}\n'
    got = send_and_collect(c, ok)
    assert len(got) == 1 and b'"return"' in got[0], got[:3]
    c.close()


WRONG = {'string': 1, 'int': 'x', 'number': 'x', 'boolean': 'x', 'null': 1,
         'object': 1, 'array': 1, 'enum': 1}


def json_type(schema, tname):
    e = schema[tname]
    mt = e['meta-type']
    if mt == 'builtin':
        return e['json-type']
    return {'enum': 'enum', 'array': 'array', 'object': 'object'}.get(mt)


MISSING = re.compile(r"Parameter '[^']+' is missing")


def arg_error(r, wanted):
    """A GenericError with one of the wanted texts; as QEMU checks the
    members in order, a missing required member may be reported first."""
    if set(r) != {'error'} or r['error']['class'] != 'GenericError':
        return False
    desc = r['error']['desc']
    return MISSING.fullmatch(desc) or any(desc.startswith(w) for w in wanted)


# QEMU parses these commands' arguments itself ('gen': false), not by schema.
NOT_SCHEMA_CHECKED = {'device_add'}


def abuse_wrong_types(vm):
    """For every command with arguments: each member with a value of the
    wrong JSON type, an unknown member, and missing required members.
    Collects every deviation before failing."""
    c = vm.qmp()
    schema = {e['name']: e for e in c.cmd_ok('query-qmp-schema')}
    bad = []

    def expect(ok, name, sent, r):
        if not ok:
            bad.append('%s %s -> %s' % (name, json.dumps(sent), json.dumps(r)))

    checked = 0
    for e in list(schema.values()):
        if e['meta-type'] != 'command':
            continue
        name = e['name']
        if name in NOT_SCHEMA_CHECKED:
            continue
        sent = {'no-such-argument-x': 1}
        r = c.cmd(name, sent)
        expect(arg_error(r, ("Parameter 'no-such-argument-x' is unexpected",)), name, sent, r)
        r = c.cmd(name, [])
        expect(r == {'error': {'class': 'GenericError', 'desc':
                               "QMP input member 'arguments' must be an object"}}, name, [], r)
        args = schema.get(e['arg-type'])
        if not args or args['meta-type'] != 'object':
            continue
        for m in args['members']:
            jt = json_type(schema, m['type'])
            if jt not in WRONG:
                continue
            sent = {m['name']: WRONG[jt]}
            r = c.cmd(name, sent)
            expect(arg_error(r, ("Invalid parameter type for '%s', expected: " % m['name'],
                                 "Parameter '%s' does not accept value " % m['name'],
                                 "Parameter '%s' expects " % m['name'])),
                   name, sent, r)
            checked += 1
        required = [m['name'] for m in args['members'] if 'default' not in m]
        if required:
            r = c.cmd(name, {})
            expect(arg_error(r, ()), name, {}, r)
    assert vm.alive()
    assert checked > 0
    assert not bad, '\n'.join(bad)
    c.close()


def abuse_unknown_commands(vm):
    c = vm.qmp()
    for name in ['', 'x' * 10000, 'query-status ', 'QUERY-STATUS', 'query_status', '\u00e9',
                 'a\u0000b', 'qom-get\n', '__org.qemu_x-nothing']:
        r = c.cmd(name)
        assert r['error']['class'] == 'CommandNotFound', (name, r)
        assert r['error']['desc'] == 'The command %s has not been found' % name, (name, r)
    c.close()


def abuse_garbage(vm):
    rnd = random.Random(1234)
    # anything at all, then hang up
    for _ in range(5):
        c = vm.qmp()
        c.send(bytes(rnd.getrandbits(8) for _ in range(1 << 16)))
        c.close()
    # garbage that cannot open a string or container: the connection
    # stays usable and every reply is an error
    c = vm.qmp()
    pool = bytes(b for b in range(256) if b not in b'"\'{}[]')
    data = bytes(rnd.choice(pool) for _ in range(1 << 16)) + b'\n'
    got = send_and_collect(c, data)
    assert all(b'"error"' in g for g in got), [g for g in got if b'"error"' not in g][:3]
    c.close()


def abuse_disconnect_mid_command(vm):
    big = b'{"execute": "query-qmp-schema", "id": 1}\n'
    for i in range(30):
        c = vm.qmp()
        c.send(big * 50 if i % 2 else b'{"execute": "query-status", "arg')
        c.close()       # replies pending or command half sent
    assert vm.alive()


def abuse_concurrent_clients(vm, n=200):
    """One monitor serves one client at a time, like QEMU; the others wait
    in the listen backlog and each gets its turn."""
    conns = [Conn.unix(vm.sock) for _ in range(n)]
    errors = []

    def client(i, c):
        try:
            c.negotiate()
            r = c.cmd('query-status', id=i, timeout=60)
            if r != {'return': STATUS, 'id': i}:
                errors.append((i, r))
        except Exception as e:  # noqa: BLE001
            errors.append((i, repr(e)))
        finally:
            c.close()

    ts = [threading.Thread(target=client, args=(i, c)) for i, c in enumerate(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[:5]


def abuse_flood_then_disconnect(vm, n=50000):
    """A client that sends a lot, reads nothing and hangs up: its pending
    replies are dropped and the monitor serves the next client."""
    c = vm.qmp()
    c.sock.settimeout(3)    # the server may stop reading: that is allowed
    try:
        c.send(b'{"execute": "query-status"}\n' * n)
    except OSError:
        pass
    c.close()


def abuse_flood(vm, n=20000):
    """Many commands without waiting: all answered, in order."""
    c = vm.qmp()
    data = b''.join(b'{"execute": "query-status", "id": %d}\n' % i for i in range(n))
    got = send_and_collect(c, data)
    assert len(got) == n, len(got)
    assert all(json.loads(g)['id'] == i for i, g in enumerate(got))
    c.close()


ABUSES = [abuse_truncated_then_disconnect, abuse_huge_line, abuse_huge_whitespace,
          abuse_many_tokens, abuse_deep_nesting, abuse_wrong_types, abuse_unknown_commands,
          abuse_garbage, abuse_disconnect_mid_command, abuse_concurrent_clients, abuse_flood,
          abuse_flood_then_disconnect]


def make_test(abuse):
    def test():
        with Vm() as vm:
            vm.conns = []   # the abuses open and close their own
            abuse(vm)
            assert_healthy(vm)
    test.__name__ = 'test_' + abuse.__name__[len('abuse_'):]
    return test


def test_all_in_sequence():
    """Everything above against one process, then it still answers."""
    with Vm() as vm:
        for abuse in ABUSES:
            if abuse in (abuse_huge_line, abuse_huge_whitespace, abuse_many_tokens):
                continue    # covered on their own; keeps the suite fast
            try:
                abuse(vm)
            except Exception as e:
                raise QmpError('%s: %r' % (abuse.__name__, e)) from e
        assert_healthy(vm)


TESTS = [make_test(a) for a in ABUSES] + [test_all_in_sequence]

if __name__ == '__main__':
    sys.exit(run_tests(TESTS, jobs=3))
