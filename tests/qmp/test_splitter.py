#!/usr/bin/env python3
"""The JSON splitter and parser behind QMP: how bytes on the socket become
commands, and the exact error for each kind of bad input. Every expected
reply below is what QEMU 7.2 sends for the same bytes (check with
QMP_TEST_TARGET=qemu). After each case the connection must still answer."""

import sys

from qmptest import Vm, run_tests, time

ST = b'{"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": %s}\r\n'


def err(desc, cls=b'GenericError'):
    return b'{"error": {"class": "%s", "desc": "%s"}}\r\n' % (cls, desc)


def parse_err(what):
    return err(b'JSON parse error, ' + what)


NOT_OBJECT = err(b'QMP input must be a JSON object')
EXPECTING = parse_err(b'expecting value')
BAD_UTF8 = parse_err(b'invalid UTF-8 sequence in string')

QS = b'{"execute": "query-status", "id": '

# (name, bytes sent, replies expected before the sync reply)
CASES = [
    ('several-in-one-write',
     QS + b'1}' + QS + b'2}\n' + QS + b'3}\r\n', [ST % b'1', ST % b'2', ST % b'3']),
    ('whitespace-inside',
     b'{\n "execute"\n:\t"query-status" ,\r\n "id" : [ 1 ,\n2 ] }\n', [ST % b'[1, 2]']),
    ('single-quotes',
     b"{'execute':'query-status','id':'it\\'s \"q\"'}\n", [ST % b'"it\'s \\"q\\""']),
    ('unicode-escapes',
     QS + b'"\\u0041\\u00e9\\u20ac\\ud83d\\ude00"}\n', [ST % b'"A\\u00E9\\u20AC\\uD83D\\uDE00"']),
    ('utf8-raw', QS + '"é€😀"}\n'.encode(), [ST % b'"\\u00E9\\u20AC\\uD83D\\uDE00"']),
    ('escaped-nul', QS + b'"a\\u0000b"}\n', [ST % b'"a\\u0000b"']),
    ('escaped-solidus-etc', QS + b'"\\/\\b\\f\\n\\r\\t\\\\"}\n', [ST % b'"/\\b\\f\\n\\r\\t\\\\"']),
    ('lone-high-surrogate', QS + b'"\\ud800"}\n',
     [parse_err(b'\\\\ud800 is not a valid Unicode character')]),
    ('lone-low-surrogate', QS + b'"\\udc00x"}\n',
     [parse_err(b'\\\\udc00 is not a valid Unicode character')]),
    ('short-unicode-escape', QS + b'"\\u00"}\n',
     [parse_err(b'\\\\u00\\" is not a valid Unicode character')]),
    ('bad-escape', QS + b'"\\x41"}\n', [parse_err(b'invalid escape sequence in string')]),
    ('utf8-overlong', QS + b'"\xc0\xaf"}\n', [BAD_UTF8]),
    ('utf8-surrogate', QS + b'"\xed\xa0\x80"}\n', [BAD_UTF8]),
    ('utf8-above-max', QS + b'"\xf4\x90\x80\x80"}\n', [BAD_UTF8]),
    ('utf8-invalid-bytes', QS + b'"\xff\xfe"}\n',
     [parse_err(b"stray '\\\"\\uFFFD'"), parse_err(b"stray '\\uFFFD'"), EXPECTING]),
    ('raw-nul', b'{"execute":"query-st\x00atus"}\n',
     [parse_err(b"stray '\\\"query-st'"), EXPECTING]),
    ('control-char-in-string', QS + b'"a\x01b"}\n',
     [parse_err(b"stray '\\\"a\\u0001'"), EXPECTING]),
    ('tab-in-string', QS + b'"a\tb"}\n', [parse_err(b"stray '\\\"a\\t'"), EXPECTING]),
    ('garbage-bytes', b'\x00\x01\x02garbage\n',
     [parse_err(b"stray ''"), parse_err(b"stray '\\u0001'"), parse_err(b"stray '\\u0002'")]),
    ('missing-value', b'{"execute": }\n', [EXPECTING]),
    ('lone-close', b'}\n', [EXPECTING]),
    ('missing-comma', b'{"execute":"query-status" "id":1}\n',
     [parse_err(b'expected separator in dict')]),
    ('trailing-comma', b'{"execute":"query-status",}\n', [EXPECTING]),
    ('trailing-comma-array', QS + b'[1,]}\n', [EXPECTING]),
    ('leading-zero', QS + b'01}\n', [parse_err(b"stray '01'"), EXPECTING]),
    ('bad-keyword', QS + b'tru}\n', [parse_err(b"invalid keyword 'tru'")]),
    ('numbers', QS + b'-0}' + QS + b'0.1e1}' + QS + b'99999999999999999999}' + QS + b'1e400}\n',
     [ST % b'0', ST % b'1', ST % b'1e+20', ST % b'inf']),
    ('non-object-array', b'[1, 2]\n', [NOT_OBJECT]),
    ('non-object-string', b'"abc"\n', [NOT_OBJECT]),
    ('non-object-scalars', b'42 true null\n', [NOT_OBJECT, NOT_OBJECT, NOT_OBJECT]),
    ('empty-object', b'{}\n', [err(b"QMP input lacks member 'execute'")]),
    ('execute-not-string', b'{"execute": 1}\n', [err(b"QMP input member 'execute' must be a string")]),
    ('arguments-not-object', b'{"execute": "query-status", "arguments": []}\n',
     [err(b"QMP input member 'arguments' must be an object")]),
    ('unknown-member', b'{"execute": "query-status", "foo": 1}\n',
     [err(b"QMP input member 'foo' is unexpected")]),
]

SYNC = b'{"execute": "query-status", "id": "sync"}\n'


def drain_until_sync(c, timeout=5):
    got = []
    deadline = time.monotonic() + timeout
    while True:
        line = c.read_raw(max(0.0, deadline - time.monotonic()))
        if line == ST % b'"sync"':
            return got
        got.append(line)


def test_table():
    """All cases on one connection, in order: each must give exactly its
    replies, and leave the connection usable for the next."""
    failures = []
    with Vm() as vm:
        c = vm.qmp()
        for name, data, want in CASES:
            c.send(data + SYNC)
            try:
                got = drain_until_sync(c)
            except Exception as e:  # noqa: BLE001 - report and stop
                failures.append('%s: no sync reply (%s)' % (name, e))
                break
            if got != want:
                failures.append('%s:\n    sent %r\n    want %r\n    got  %r'
                                % (name, data, want, got))
        assert vm.alive()
    assert not failures, '\n'.join(failures)


def test_byte_by_byte():
    with Vm() as vm:
        c = vm.qmp()
        msg = b"{ 'execute' : \"query-status\",\n 'id': [\"\\u00e9\", {\"x\": -1.5e3}]}\r\n"
        for i in range(len(msg)):
            c.send(msg[i:i + 1])
        assert c.read_raw() == ST % b'["\\u00E9", {"x": -1500}]'


def test_split_at_every_point():
    """Two commands cut at every possible point into two writes."""
    with Vm() as vm:
        c = vm.qmp()
        msg = QS + b'"a"}' + QS + b'"b\\u00e9"}\n'
        for i in range(1, len(msg)):
            c.send(msg[:i])
            c.send(msg[i:])
            assert c.read_raw() == ST % b'"a"', i
            assert c.read_raw() == ST % b'"b\\u00E9"', i


def test_malformed_then_usable():
    """After any malformed input the next well-formed command works."""
    with Vm() as vm:
        c = vm.qmp()
        for bad in [b'{"execute": }\n', b'{{{{\n}}}}\n', b']]]\n', b'{"a":\n1,,}\n']:
            c.send(bad + SYNC)
            got = drain_until_sync(c)
            assert got and all(b'"GenericError"' in g for g in got), (bad, got)


TESTS = [test_table, test_byte_by_byte, test_split_at_every_point, test_malformed_then_usable]

if __name__ == '__main__':
    sys.exit(run_tests(TESTS))
