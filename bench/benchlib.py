"""Shared helpers for Tern's benchmarks (bench/*). Python 3 standard library only.

Each benchmark is a standalone program; this module only holds the common
parts: where things are, spawning a VMM with chosen file descriptors,
medians, and the one-line result format that bench/run-all collects:

    <bench>  <what>  tern X ms  qemu Y ms  goal <=Z ms  MET

Result lines start in column 0 with the benchmark's name; every other line a
benchmark prints is indented (commands, details) so run-all can pick them out.
"""
import os
import shlex
import shutil
import statistics
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
BUILD = os.environ.get("TERN_BUILD_DIR", os.path.join(ROOT, "build"))
TERN = os.environ.get("TERN_BINARY", os.path.join(BUILD, "src", "tern"))
BARE_KVM = os.path.join(BUILD, "bench", "bare-kvm")
PAYLOADS = os.path.join(BUILD, "tests", "guest", "payloads")
QEMU = os.environ.get("TERN_BENCH_QEMU", "qemu-system-x86_64")
QBOOT = "/usr/share/qemu/qboot.rom"


class BenchError(Exception):
    """A measurement could not be taken at all (as opposed to a missed goal)."""


def require(path, what):
    if not os.path.exists(path):
        raise BenchError(f"{what} not found: {path} (run: ninja -C build)")
    return path


def qemu_path():
    p = shutil.which(QEMU)
    if not p:
        raise BenchError(f"{QEMU} not found")
    return p


def now():
    return time.perf_counter()


def spawn(argv, fds):
    """posix_spawn argv with the given {child_fd: parent_fd} map.

    Returns the pid. Every other descriptor of ours is close-on-exec
    (Python's default), so the child sees exactly 0, 1, 2 and the mapped fds.
    Each parent fd is first moved to a number >= 10 so that dup2 never sees
    fd == newfd (which would leave close-on-exec set)."""
    import fcntl
    actions, tmp = [], []
    for child_fd, parent_fd in sorted(fds.items()):
        hi = fcntl.fcntl(parent_fd, fcntl.F_DUPFD_CLOEXEC, 10)
        tmp.append(hi)
        actions.append((os.POSIX_SPAWN_DUP2, hi, child_fd))
    try:
        return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    finally:
        for fd in tmp:
            os.close(fd)


def kill_wait(pid):
    """SIGKILL and reap a child we gave up on."""
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def wait_status(pid, want_rusage=False, timeout=None):
    """waitpid; returns the exit status, or -signal (and the child's
    resource usage if want_rusage: (status, resource.struct_rusage)).
    With a timeout (seconds) the child is killed and BenchError raised when
    it has not exited by then (a pidfd is polled: no added latency)."""
    if timeout is not None:
        import select
        pfd = os.pidfd_open(pid)
        try:
            ready, _, _ = select.select([pfd], [], [], timeout)
        finally:
            os.close(pfd)
        if not ready:
            kill_wait(pid)
            raise BenchError(f"pid {pid} still running after {timeout:g} s: killed")
    _, st, ru = os.wait4(pid, 0)
    rc = -os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)
    return (rc, ru) if want_rusage else rc


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_num(v, unit):
    if v != v:  # NaN
        return "n/a"
    if unit == "ms" and v >= 1000:
        return f"{v / 1000:.2f} s"
    if unit in ("s", "us") or v >= 100:
        return f"{v:.1f} {unit}" if v < 1000 else f"{v:.0f} {unit}"
    return f"{v:.2f} {unit}"


def result(bench, what, values, goal=None, met=None):
    """Prints one result line.

    values: list of (label, text) pairs, e.g. [("tern", "3.1 ms"), ...].
    goal: text such as "<=5 ms" or None; met: True/False/None."""
    cols = [f"{bench:<11}", f"{what:<28}"]
    cols += [f"{label} {text:>10}" for label, text in values]
    cols.append(f"goal {goal}" if goal else "goal -")
    cols.append({True: "MET", False: "MISSED", None: "-"}[met])
    print("  ".join(cols), flush=True)


def detail(text):
    print("    " + text, flush=True)


def show_cmd(label, argv):
    detail(f"cmd {label}: " + " ".join(shlex.quote(a) for a in argv))


def header(title):
    print(f"== {title}", flush=True)
