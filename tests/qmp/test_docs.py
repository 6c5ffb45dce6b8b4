#!/usr/bin/env python3
"""tests/qmp/test_docs.py: runs the QMP examples in docs/qmp.md.

Every ```qmp block of the document is one test (TAP output): a fresh Tern
is started with the command line the section states (the nearest line
"`$ tern ARGS`" above the block, under the same heading; otherwise
"-M pc -S -nodefaults -display none"), plus "-qmp stdio" unless ARGS already
put a monitor on stdio. Unless the block starts with the greeting, the
negotiation is done first. Then each "->" message is sent as written and
each "<-" message must match the next message Tern sends (reply or event),
with the rules the document explains at its top ("..." wildcards). Nothing
else may arrive after the last one.

usage: test_docs.py [--qemu] [-v] [DOC]
  --qemu   run the examples against qemu-system-x86_64 -accel tcg instead
           (blocks marked "qmp tern-only" are skipped): shows where the
           document, written from QEMU 7.2's replies, and QEMU disagree.
Environment: TERN_BINARY (default build/src/tern), TERN_PAYLOAD_DIR (where
a bare "NAME.elf" argument is looked up; default BUILD/tests/guest/payloads).
"""
import json
import os
import re
import select
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_ARGS = ["-M", "pc", "-S", "-nodefaults", "-display", "none"]
TIMEOUT = 10.0        # seconds for any one message
QUIET = 0.1           # seconds without output that end a block
ANY = "\x01ANY"
MORE = "\x01MORE"


class DocError(Exception):
    pass


# ------------------------------------------------------------ the document

class Block:
    def __init__(self, line, heading, args, tags):
        self.line = line          # 1-based line of the opening fence
        self.heading = heading
        self.args = args          # list or None
        self.tags = tags
        self.messages = []        # (direction, text, line)


def parse_doc(path):
    blocks = []
    heading, args, block, other = "", None, None, False
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines, 1):
        if other:   # inside a fenced block that is not an example
            other = not line.startswith("```")
            continue
        if block is not None:
            if line.startswith("```"):
                blocks.append(block)
                block = None
            elif line.startswith("-> ") or line.startswith("<- "):
                block.messages.append([line[:2], line[3:], i])
            elif line.strip():
                if not block.messages:
                    raise DocError(f"{path}:{i}: text before the first message")
                block.messages[-1][1] += "\n" + line
            continue
        if line.startswith("#"):
            heading, args = line.lstrip("#").strip(), None
        m = re.match(r"^`\$ tern (.*)`\s*$", line)
        if m:
            args = shlex.split(m.group(1))
        if line.startswith("```qmp"):
            block = Block(i, heading, args, line[6:].split())
        elif line.startswith("```"):
            other = True
    if block is not None:
        raise DocError(f"{path}:{block.line}: unterminated block")
    return blocks


def pattern(text):
    """The doc's JSON with bare ... turned into markers: as a value, any
    value; as an array element, more elements; as a member, more members."""
    out, stack, prev, i = [], [], "", 0
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            prev, i = '"', j + 1
            continue
        if text.startswith("...", i):
            if prev == ":":
                out.append(json.dumps(ANY))
            elif stack and stack[-1] == "[":
                out.append(json.dumps(MORE))
            elif stack and stack[-1] == "{":
                out.append(json.dumps(MORE) + ": null")
            else:
                out.append(json.dumps(ANY))
            prev, i = ".", i + 3
            continue
        if c in "[{":
            stack.append(c)
        elif c in "]}":
            stack.pop()
        if not c.isspace():
            prev = c
        out.append(c)
        i += 1
    return json.loads("".join(out))


def match(p, a, where="reply"):
    """None if actual a has the documented shape p, else why not."""
    if p == ANY:
        return None
    if isinstance(p, dict):
        if not isinstance(a, dict):
            return f"{where}: expected an object, got {json.dumps(a)[:80]}"
        more = MORE in p
        for k, v in p.items():
            if k == MORE:
                continue
            if k not in a:
                return f"{where}: member '{k}' is missing"
            why = match(v, a[k], f"{where}.{k}")
            if why:
                return why
        extra = [k for k in a if k not in p]
        if extra and not more:
            return f"{where}: unexpected member(s) {extra}"
        return None
    if isinstance(p, list):
        if not isinstance(a, list):
            return f"{where}: expected an array, got {json.dumps(a)[:80]}"
        if p and p[-1] == MORE:
            left = list(a)
            for k, e in enumerate(p[:-1]):
                hit = next((x for x in left if match(e, x) is None), None)
                if hit is None:
                    return f"{where}: no element like {json.dumps(e)[:100]}"
                left.remove(hit)
            return None
        if len(p) != len(a):
            return f"{where}: {len(a)} elements, documented {len(p)}"
        for k, (e, x) in enumerate(zip(p, a)):
            why = match(e, x, f"{where}[{k}]")
            if why:
                return why
        return None
    if isinstance(p, str):
        if not isinstance(a, str):
            return f"{where}: expected a string, got {json.dumps(a)[:80]}"
        if "..." in p:
            rx = ".*".join(re.escape(s) for s in p.split("..."))
            ok = re.fullmatch(rx, a, re.S) is not None
        else:
            ok = p == a
        return None if ok else f"{where}: {json.dumps(a)[:200]}, documented {json.dumps(p)[:200]}"
    if isinstance(p, bool) or p is None:
        return None if a is p else f"{where}: {json.dumps(a)}, documented {json.dumps(p)}"
    if isinstance(a, bool) or not isinstance(a, (int, float)):
        return f"{where}: expected a number, got {json.dumps(a)[:80]}"
    if isinstance(p, int) and not isinstance(a, int):
        return f"{where}: {a} is not an integer"
    return None if p == a else f"{where}: {a}, documented {p}"


# ------------------------------------------------------------ the VMM

class Vmm:
    def __init__(self, argv, errlog):
        self.err = open(errlog, "w+")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err)
        self.buf = ""
        self.raw = b""
        self.eof = False
        self.dec = json.JSONDecoder()

    def send(self, text):
        try:
            self.p.stdin.write(text.encode() + b"\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            raise DocError("the VMM has exited (stdin closed)") from None

    def _parse_one(self):
        s = self.buf.lstrip()
        if not s:
            self.buf = ""
            return None
        try:
            v, end = self.dec.raw_decode(s)
        except json.JSONDecodeError:
            self.buf = s
            return None   # incomplete (or garbage: the timeout tells)
        self.buf = s[end:]
        return v

    def _fill(self, timeout):
        if self.eof:
            return False
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            return False
        d = os.read(self.p.stdout.fileno(), 1 << 16)
        if not d:
            self.eof = True
            return False
        self.raw += d
        try:
            self.buf += self.raw.decode()
            self.raw = b""
        except UnicodeDecodeError:
            pass   # a split UTF-8 sequence: wait for the rest
        return True

    def recv(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            v = self._parse_one()
            if v is not None:
                return v
            left = deadline - time.monotonic()
            if left <= 0 or not self._fill(left):
                if self.eof:
                    raise DocError("the VMM closed its output" +
                                   (f"; unparsed: {self.buf[:200]!r}" if self.buf.strip() else ""))
                if left <= 0:
                    raise DocError(f"no message within {timeout:g} s" +
                                   (f"; unparsed: {self.buf[:200]!r}" if self.buf.strip() else ""))

    def extra(self):
        """A message that arrives within QUIET seconds, or None."""
        try:
            return self.recv(QUIET)
        except DocError:
            return None

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        tail = ""
        self.err.seek(0)
        tail = self.err.read()[-800:]
        self.err.close()
        return tail


# ------------------------------------------------------------ running

def build_argv(block, qemu, payload_dir, tern):
    args = list(block.args if block.args is not None else DEFAULT_ARGS)
    args = [os.path.join(payload_dir, a) if a.endswith(".elf") and "/" not in a else a
            for a in args]
    if not any("stdio" in a for a in args):
        args += ["-qmp", "stdio"]
    if qemu:
        if "-M" in args:
            k = args.index("-M")
            args[k + 2:k + 2] = ["-accel", "tcg"]
        return ["qemu-system-x86_64"] + args
    return [tern] + args


def run_block(block, argv, tmp):
    vmm = Vmm(argv, os.path.join(tmp, "stderr"))
    try:
        msgs = block.messages
        if not (msgs and msgs[0][0] == "<-" and '"QMP"' in msgs[0][1]):
            g = vmm.recv()
            if "QMP" not in g:
                raise DocError(f"expected the greeting, got {json.dumps(g)[:200]}")
            vmm.send('{"execute": "qmp_capabilities"}')
            r = vmm.recv()
            if r != {"return": {}}:
                raise DocError(f"qmp_capabilities: {json.dumps(r)[:200]}")
        for direction, text, line in msgs:
            if direction == "->":
                vmm.send(text)
                continue
            try:
                p = pattern(text)
            except (json.JSONDecodeError, IndexError) as e:
                raise DocError(f"line {line}: the documented message is not JSON: {e}") from None
            got = vmm.recv()
            why = match(p, got, "event" if "event" in p else "reply")
            if why:
                raise DocError(f"line {line}: {why}\n  got: {json.dumps(got)[:400]}")
        more = vmm.extra()
        if more is not None:
            raise DocError(f"unexpected message after the last one: {json.dumps(more)[:300]}")
    except DocError as e:
        tail = vmm.stop().strip()
        raise DocError(str(e) + (f"\n  stderr: {tail}" if tail else "")) from None
    vmm.stop()


def main():
    argv = sys.argv[1:]
    qemu = "--qemu" in argv
    verbose = "-v" in argv
    rest = [a for a in argv if a not in ("--qemu", "-v")]
    doc = rest[0] if rest else os.path.join(ROOT, "docs", "qmp.md")
    tern = os.environ.get("TERN_BINARY", os.path.join(ROOT, "build", "src", "tern"))
    build = os.path.dirname(os.path.dirname(os.path.abspath(tern)))
    payload_dir = os.environ.get("TERN_PAYLOAD_DIR",
                                 os.path.join(build, "tests", "guest", "payloads"))
    blocks = parse_doc(doc)
    print(f"1..{len(blocks)}", flush=True)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="tern-docs-") as tmp:
        for n, b in enumerate(blocks, 1):
            name = f"{os.path.basename(doc)}:{b.line} {b.heading}"
            if qemu and "tern-only" in b.tags:
                print(f"ok {n} {name} # SKIP tern-only", flush=True)
                continue
            cmd = build_argv(b, qemu, payload_dir, tern)
            try:
                run_block(b, cmd, tmp)
                print(f"ok {n} {name}", flush=True)
            except DocError as e:
                failed += 1
                print(f"not ok {n} {name}", flush=True)
                print("# cmd: " + " ".join(shlex.quote(a) for a in cmd))
                for line in str(e).split("\n"):
                    print("# " + line, flush=True)
            if verbose:
                print("# cmd: " + " ".join(shlex.quote(a) for a in cmd), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
