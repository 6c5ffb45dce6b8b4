#!/usr/bin/env python3
"""QMP block commands: blockdev-add/del, query-block,
query-named-block-nodes, query-blockstats, block_resize,
block_set_io_throttle and HMP info block/blockstats.

Two kinds of tests:
* differential: the same conversation against Tern and QEMU 7.2 (the
  machinery of test_differential.py), each side with its own image files
  (QEMU locks the images it opens). Before comparing, values that
  legitimately differ are masked: auto node names ("#block" plus a counter
  and two random digits) and the per-side image directory;
* Tern-only: effects QEMU is not needed for (file sizes on disk, values
  read back after a change).
"""

import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import test_differential as td
from qmptest import QEMU, Vm, json, os, run_tests

Step, C = td.Step, td.Conversation
IMG_MB = 8

# Known, documented differences (docs/block.md): path globs per conversation.
ALLOW = {}

# Steps where Tern's block layer (src/block, not these commands) still
# answers differently: reported as "# known:" lines, not failures. A known
# step excuses only itself; a difference in any later step still fails.
# Remove an entry once the block layer matches.
KNOWN = {
    # keys: a step's label, or 'conversation: label' for one conversation
}


# ---------------------------------------------------------------------------
# Running a conversation with per-side images

def subst(v, d):
    return td.subst(v, d, '{img}')


def side_conv(conv, d):
    """conv with '{img}' pointing at d, which gets images a.img .. d.img."""
    for name in 'abcd':
        with open(os.path.join(d, name + '.img'), 'wb') as f:
            f.truncate(IMG_MB << 20)
    steps = []
    for s in conv.steps:
        n = Step(s.execute, subst(s.arguments, d), s.raw, s.exact, s.key, s.events, s.fd,
                 s.check, s.no_reply, s.allow)
        steps.append(n)
    return C(conv.name, steps, subst(conv.extra, d), conv.negotiate, conv.post)


AUTO_NAME = re.compile(r'#block\d{3,}')


def mask(v, d):
    """Auto node names and the image directory, everywhere in a reply."""
    if isinstance(v, str):
        return AUTO_NAME.sub('#block', v.replace(d, '{img}'))
    if isinstance(v, dict):
        return {k: mask(x, d) for k, x in v.items()}
    if isinstance(v, list):
        return [mask(x, d) for x in v]
    return v


def run_side(which, conv):
    d = tempfile.mkdtemp(prefix='tern-blocktest-')
    try:
        steps, post = td.run_side(which, side_conv(conv, d))
        return [(mask(r, d), ev, res) for r, ev, res in steps], post
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_conversation(conv):
    with ThreadPoolExecutor(2) as ex:
        fq = ex.submit(run_side, 'qemu', conv)
        ft = ex.submit(run_side, 'tern', conv)
        (qsteps, _), (tsteps, _) = fq.result(), ft.result()
    allow = td.conv_allow(conv.name) + list(ALLOW.get(conv.name, {}))
    problems = []
    for step, (qr, _, _), (tr, _, _) in zip(conv.steps, qsteps, tsteps):
        if os.environ.get('QMP_DIFF_VERBOSE'):
            print('# %s\n#   QEMU %s\n#   Tern %s' % (step.label(), td.short(qr), td.short(tr)))
        kind, d = td.compare_reply(qr, tr, step, allow + step.allow)
        why = KNOWN.get('%s: %s' % (conv.name, step.label()), KNOWN.get(step.label()))
        if kind and why:
            print('# known: %s: %s: %s' % (conv.name, step.label(), why), flush=True)
        elif kind:
            problems.append('%s: %s\n%s' % (kind.upper(), step.label(),
                                            '\n'.join('    ' + x for x in d[:20])))
    assert not problems, '\n'.join(problems)


def E(execute, arguments=None, **kw):
    """A step whose reply must be identical (after masking)."""
    return Step(execute, arguments, exact=True, **kw)


def hmp(line):
    return E('human-monitor-command', {'command-line': line})


def throttle(dev, **kw):
    args = {'device': dev, 'bps': 0, 'bps_rd': 0, 'bps_wr': 0, 'iops': 0, 'iops_rd': 0,
            'iops_wr': 0}
    args.update(kw)
    return E('block_set_io_throttle', args)


DRIVE_A = ['-drive', 'if=none,id=d0,file={img}/a.img,format=raw']
BLOCKDEV_B = ['-blockdev', 'driver=file,filename={img}/b.img,node-name=f0',
              '-blockdev', 'driver=raw,file=f0,node-name=r0']
NULL_N0 = ['-blockdev', 'driver=null-co,node-name=n0']


def conversations():
    queries = [E('query-block'), E('query-named-block-nodes'),
               E('query-named-block-nodes', {'flat': True}), E('query-blockstats'),
               E('query-blockstats', {'query-nodes': True})]
    info = [hmp('info block'), hmp('info block -n'), hmp('info block -v'),
            hmp('info block d0'), hmp('info block n0'), hmp('info block -n r0'),
            hmp('info block nope'), hmp('info blockstats')]
    return [
        C('no-block-devices', queries + info),
        C('drive-none', queries + info, extra=DRIVE_A),
        C('blockdev', queries + info, extra=BLOCKDEV_B + NULL_N0),
        C('drive-and-blockdev', queries + info, extra=DRIVE_A + BLOCKDEV_B + NULL_N0),
        C('drive-null-co', queries, extra=[
            '-drive', 'if=none,id=drive1,file=null-co://,file.read-zeroes=on,format=raw']),
        C('drive-cache-modes', [E('query-block'), E('query-named-block-nodes'),
                                hmp('info block'), hmp('info block -n'), hmp('info block ds'),
                                hmp('info block -v un'), hmp('info blockstats')], extra=[
            '-drive', 'if=none,id=wt,file={img}/a.img,format=raw,cache=writethrough',
            '-drive', 'if=none,id=ds,file={img}/b.img,format=raw,cache=directsync',
            '-drive', 'if=none,id=un,file={img}/c.img,format=raw,cache=unsafe,readonly=on',
            '-drive', 'if=none,id=dz,file={img}/d.img,format=raw,detect-zeroes=on']),
        C('drive-throttling-options', [E('query-block'), hmp('info block')], extra=[
            '-drive', 'if=none,id=d0,file={img}/a.img,format=raw,throttling.iops-total=100,'
                      'throttling.bps-read=2000,throttling.iops-total-max=300']),
        C('blockdev-add', [
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'n1'}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'n1'}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'n2', 'size': 1048576}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r1', 'file': 'n1'}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r3', 'file': {
                'driver': 'file', 'filename': '{img}/c.img', 'node-name': 'f3'}}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r4', 'file': {
                'driver': 'file', 'filename': '{img}/d.img'}}),
            E('blockdev-add', {'driver': 'host_device', 'node-name': 'h0',
                               'filename': '/nonexistent/dev'}),
            E('query-named-block-nodes'),
            E('blockdev-del', {'node-name': 'n1'}),
            E('blockdev-del', {'node-name': 'f3'}),
            E('blockdev-del', {'node-name': 'r3'}),
            E('blockdev-del', {'node-name': 'f3'}),
            E('blockdev-del', {'node-name': 'r1'}),
            E('blockdev-del', {'node-name': 'n1'}),
            E('blockdev-del', {'node-name': 'r4'}),
            E('query-named-block-nodes'),
            E('blockdev-del', {'node-name': 'd0'}),
            E('query-block'),
        ], extra=DRIVE_A),
        C('blockdev-add-errors', [
            E('blockdev-add', {'node-name': 'x'}),
            E('blockdev-add', {'driver': 'bogus', 'node-name': 'x'}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'x', 'size': 'big'}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'x', 'bogus': 1}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 17}),
            E('blockdev-add', {'driver': 'null-co', 'read-only': 'yes', 'node-name': 'x'}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'x', 'cache': {'direct': 1}}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'x', 'discard': 'maybe'}),
            E('blockdev-add', {'driver': 'null-co'}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r2', 'file': 'nope'}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r2', 'file': 17}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r2'}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r2', 'file': {'filename': 'x'}}),
            E('blockdev-add', {'driver': 'file', 'node-name': 'f2'}),
            E('blockdev-add', {'driver': 'file', 'node-name': 'f2',
                               'filename': '/nonexistent/x'}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': '1bad'}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'd0'}),
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'n0'}),
            E('blockdev-del', {'node-name': 'nope'}),
            E('blockdev-del', {'node-name': 'f0'}),
            E('query-named-block-nodes'),
        ] + td.bad_arg_steps('blockdev-del'), extra=DRIVE_A + BLOCKDEV_B + NULL_N0),
        C('block_resize', [
            E('block_resize', {'device': 'd0', 'size': 16 << 20}),
            E('query-block'),
            E('block_resize', {'device': 'd0', 'size': 4 << 20}),
            E('block_resize', {'device': 'd0', 'size': -1}),
            E('block_resize', {'device': 'nope', 'size': 1 << 20}),
            E('block_resize', {'node-name': 'nope', 'size': 1 << 20}),
            E('block_resize', {'size': 1 << 20}),
            E('block_resize', {'device': 'n0', 'size': 1 << 20}),
            E('block_resize', {'node-name': 'n0', 'size': 1 << 20}),
            E('block_resize', {'node-name': 'r0', 'size': 2 << 20}),
            E('block_resize', {'node-name': 'f0', 'size': 3 << 20}),
            E('block_resize', {'device': '', 'node-name': 'r0', 'size': 5 << 20}),
            E('block_resize', {'device': 'd0', 'node-name': 'r0', 'size': 6 << 20}),
            E('block_resize', {'device': 'ro', 'size': 1 << 20}),
            E('block_resize', {'node-name': 'nro', 'size': 1 << 20}),
            E('block_resize', {'device': 'dn', 'size': 1 << 20}),
            E('query-named-block-nodes'),
            hmp('info block -v'),
        ] + td.bad_arg_steps('block_resize'), extra=DRIVE_A + BLOCKDEV_B + NULL_N0 + [
            '-drive', 'if=none,id=ro,file={img}/c.img,format=raw,readonly=on',
            '-blockdev', 'driver=null-co,node-name=nro,read-only=on',
            '-drive', 'if=none,id=dn,file=null-co://,format=raw']),
        C('blockdev-del-order', [
            E('blockdev-del', {'node-name': 'dn'}),
            E('blockdev-del', {'node-name': 'fn'}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r1', 'file': 'dn'}),
            E('blockdev-del', {'node-name': 'dn'}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r2', 'file': {
                'driver': 'null-co', 'node-name': 'n2'}}),
            E('blockdev-del', {'node-name': 'n2'}),
            E('blockdev-del', {'node-name': 'r2'}),
            E('blockdev-del', {'node-name': 'n2'}),
            E('query-named-block-nodes'),
        ], extra=['-drive', 'if=none,id=d0,file={img}/a.img,format=raw,node-name=dn,'
                            'file.node-name=fn']),
        C('block_set_io_throttle', [
            throttle('d0', bps=1000),
            E('query-block'),
            hmp('info block'),
            throttle('d0', bps_rd=100, bps_wr=200, iops_rd=10, iops_wr=20, bps_rd_max=1000,
                     iops_wr_max=50, iops_wr_max_length=5, iops_size=4096, group='g1'),
            E('query-block'),
            hmp('info block'),
            throttle('d0', bps=100, bps_rd=100),
            throttle('d0', iops=10, iops_rd=1),
            throttle('d0', bps=-1),
            throttle('d0', bps=10 ** 15 + 1),
            throttle('d0', bps=1000, bps_max=500),
            throttle('d0', bps_max=500),
            throttle('d0', iops_max=5),
            throttle('d0', bps=1000, bps_max=5000, bps_max_length=0),
            throttle('d0', bps=1000, bps_max=5000, bps_max_length=86401),
            throttle('d0', bps=10 ** 15, bps_max=10 ** 15, bps_max_length=2),
            throttle('d0', bps=1000, bps_max=2000, bps_max_length=-1),
            throttle('d0', bps=1000, bps_max_length=5),
            throttle('d0', bps=1000, iops_size=-1),
            throttle('d0', bps=1000, bps_max=-5),
            throttle('d0'),
            throttle('d0', iops=10, iops_size=-1),
            throttle('d0', iops_max=3, iops_size=5),
            throttle('d0', bps_wr=1, iops_size=5),
            throttle('d0', bps=5, bps_wr=1, iops_size=5),
            throttle('d0', bps_max=4, bps_max_length=0, iops_size=5),
            throttle('d0', iops=7, bps_max=4, bps_max_length=0, iops_size=-5),
            E('query-block'),
            throttle('d0', bps=1000, group=''),
            E('query-block'),
            throttle('nope'),
            throttle('n0'),
            E('block_set_io_throttle', {'id': 'nope', 'bps': 0, 'bps_rd': 0, 'bps_wr': 0,
                                        'iops': 0, 'iops_rd': 0, 'iops_wr': 0}),
            E('block_set_io_throttle', {'bps': 0, 'bps_rd': 0, 'bps_wr': 0, 'iops': 0,
                                        'iops_rd': 0, 'iops_wr': 0}),
            E('block_set_io_throttle', {'device': 'd0', 'id': 'x', 'bps': 0, 'bps_rd': 0,
                                        'bps_wr': 0, 'iops': 0, 'iops_rd': 0, 'iops_wr': 0}),
            E('block_set_io_throttle', {'device': 'd0'}),
            throttle('d0'),
            E('query-block'),
            hmp('info block'),
        ] + td.bad_arg_steps('block_set_io_throttle'), extra=DRIVE_A + NULL_N0),
        C('query-bad-args', td.bad_arg_steps('query-block')
          + td.bad_arg_steps('query-named-block-nodes')
          + td.bad_arg_steps('query-blockstats')),
        C('null-co-options', [
            E('blockdev-add', {'driver': 'null-co', 'node-name': 'n8', 'size': 4096}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r8', 'file': 'n8'}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r9', 'read-only': True,
                               'file': {'driver': 'null-co', 'read-zeroes': True}}),
            E('blockdev-add', {'driver': 'raw', 'node-name': 'r10', 'file': {
                'driver': 'raw', 'file': 'n5'}}),
            E('query-named-block-nodes'),
            E('query-block'),
        ], extra=[
            '-blockdev', 'driver=null-co,node-name=n1,size=1048576,read-zeroes=on',
            '-blockdev', 'driver=null-co,node-name=n2,size=0x100000',
            '-blockdev', 'driver=null-co,node-name=n3,latency-ns=5',
            '-blockdev', 'driver=null-co,node-name=n4,read-zeroes=off',
            '-blockdev', '{"driver": "null-co", "node-name": "n5", "size": 512, '
                         '"read-zeroes": false}',
            '-blockdev', 'driver=raw,node-name=r1,file=n1',
            '-drive', 'if=none,id=d1,file=null-co://,file.size=4k,file.read-zeroes=off,'
                      'file.latency-ns=3,format=raw',
            '-drive', 'if=none,id=d2,file.driver=null-co,file.size=1.5k,format=raw']),
        C('throttle-keeps-group', [
            throttle('d0', iops=10, group='g1'),
            throttle('d0', iops=20),
            E('query-block'),
            throttle('d1', iops=10, group=''),
            throttle('d1', iops=30),
            E('query-block'),
            throttle('d0', iops=20, group='d0'),
            E('query-block'),
        ], extra=DRIVE_A + ['-drive', 'if=none,id=d1,file={img}/b.img,format=raw']),
        C('throttle-group-empty', [
            throttle('d0', iops=10, group=''),
            E('query-block'),
        ], extra=DRIVE_A + [
            '-drive', 'if=none,id=d1,file={img}/b.img,format=raw,throttling.group=,'
                      'throttling.iops-total=5',
            '-drive', 'if=none,id=d2,file={img}/c.img,format=raw,throttling.iops-size=-5,'
                      'throttling.iops-total=3']),
    ]


# ---------------------------------------------------------------------------
# Tern-only: effects

def tern_vm(extra):
    d = tempfile.mkdtemp(prefix='tern-blocktest-')
    for name in 'abcd':
        with open(os.path.join(d, name + '.img'), 'wb') as f:
            f.truncate(IMG_MB << 20)
    return d, Vm([a.replace('{img}', d) for a in extra], which='tern')


def inserted(c, device):
    for b in c.cmd_ok('query-block'):
        if b['device'] == device:
            return b['inserted']
    raise AssertionError('no backend %r' % device)


def test_resize_reaches_file_and_query_block():
    d, vm = tern_vm(DRIVE_A + BLOCKDEV_B)
    try:
        c = vm.qmp()
        assert inserted(c, 'd0')['image']['virtual-size'] == IMG_MB << 20
        c.cmd_ok('block_resize', {'device': 'd0', 'size': 32 << 20})
        assert inserted(c, 'd0')['image']['virtual-size'] == 32 << 20
        assert os.path.getsize(os.path.join(d, 'a.img')) == 32 << 20
        # shrinking is allowed, as in QEMU
        c.cmd_ok('block_resize', {'node-name': 'r0', 'size': 1 << 20})
        nodes = {n['node-name']: n for n in c.cmd_ok('query-named-block-nodes')}
        assert nodes['r0']['image']['virtual-size'] == 1 << 20
        assert nodes['f0']['image']['virtual-size'] == 1 << 20
        assert os.path.getsize(os.path.join(d, 'b.img')) == 1 << 20
    finally:
        vm.close()
        shutil.rmtree(d, ignore_errors=True)


def test_throttle_shows_and_clears():
    d, vm = tern_vm(DRIVE_A)
    try:
        c = vm.qmp()
        args = {'device': 'd0', 'bps': 0, 'bps_rd': 0, 'bps_wr': 0, 'iops': 100, 'iops_rd': 0,
                'iops_wr': 0, 'iops_max': 400, 'iops_max_length': 3}
        c.cmd_ok('block_set_io_throttle', args)
        ins = inserted(c, 'd0')
        got = {k: ins.get(k) for k in ('iops', 'iops_max', 'iops_max_length', 'group', 'bps')}
        assert got == {'iops': 100, 'iops_max': 400, 'iops_max_length': 3, 'group': 'd0',
                       'bps': 0}, got
        args.update(iops=0, iops_max=0)
        del args['iops_max_length']
        c.cmd_ok('block_set_io_throttle', args)
        ins = inserted(c, 'd0')
        assert 'group' not in ins and 'iops_max' not in ins and ins['iops'] == 0, ins
    finally:
        vm.close()
        shutil.rmtree(d, ignore_errors=True)


def test_blockdev_add_del_roundtrip():
    d, vm = tern_vm([])
    try:
        c = vm.qmp()
        c.cmd_ok('blockdev-add', {'driver': 'raw', 'node-name': 'disk', 'file': {
            'driver': 'file', 'filename': os.path.join(d, 'a.img'), 'node-name': 'proto'},
            'read-only': True})
        nodes = c.cmd_ok('query-named-block-nodes')
        assert [n['node-name'] for n in nodes] == ['disk', 'proto'], nodes
        assert nodes[0]['ro'] and nodes[0]['drv'] == 'raw', nodes[0]
        assert nodes[0]['file'] == os.path.join(d, 'a.img'), nodes[0]
        stats = c.cmd_ok('query-blockstats', {'query-nodes': True})
        assert [s['node-name'] for s in stats] == ['proto', 'disk'], stats
        assert stats[1]['parent']['node-name'] == 'proto', stats[1]
        c.cmd_ok('blockdev-del', {'node-name': 'disk'})
        assert c.cmd_ok('query-named-block-nodes') == []
    finally:
        vm.close()
        shutil.rmtree(d, ignore_errors=True)


def test_schema_lists_block_commands():
    with Vm([], which='tern') as vm:
        schema = vm.qmp().cmd_ok('query-qmp-schema')
    names = {e['name'] for e in schema if e['meta-type'] in ('command', 'event')}
    want = {'blockdev-add', 'blockdev-del', 'query-block', 'query-named-block-nodes',
            'query-blockstats', 'block_resize', 'block_set_io_throttle', 'BLOCK_IO_ERROR'}
    assert want <= names, want - names


def make_test(conv):
    def test():
        run_conversation(conv)
    test.__name__ = 'diff_' + conv.name
    return test


def main():
    if not shutil.which(QEMU):
        print('Bail out! %s not found: install qemu-system-x86 '
              '(scripts/lib/deps.sh does)' % QEMU)
        return 1
    tests = [test_resize_reaches_file_and_query_block, test_throttle_shows_and_clears,
             test_blockdev_add_del_roundtrip, test_schema_lists_block_commands]
    tests += [make_test(c) for c in conversations()]
    return run_tests(tests, jobs=6)


if __name__ == '__main__':
    sys.exit(main())
