"""The TAP runner the Python guest tests share: each test function runs in
turn, a failure is reported and the next one still runs."""


def run_tests(tests):
    """Runs the functions, prints TAP; returns the exit status."""
    print('1..%d' % len(tests))
    failed = 0
    for i, t in enumerate(tests, 1):
        try:
            t()
            print('ok %d %s' % (i, t.__name__))
        except Exception as e:  # report and go on to the next case
            failed += 1
            print('not ok %d %s: %r' % (i, t.__name__, e))
    return 1 if failed else 0
