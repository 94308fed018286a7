"""fib_iterative: loop, arithmetic and modulo.

STEPS steps of the Fibonacci recurrence modulo 1000000007, repeated 10 times; the
checksum folds each repetition's last value.
"""
import sys
import time


def fib_iterative(steps, reps):
    checksum = 0
    a = 0
    b = 1
    t = 0
    for r in range(reps):
        a = 0
        b = 1
        for i in range(steps):
            t = b
            b = (a + b) % 1000000007
            a = t
        checksum = (checksum + b) % 1000000007
    return checksum


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    fib_iterative(1000, 1)
    t0 = time.perf_counter()
    result = fib_iterative(size, 10)
    t1 = time.perf_counter()
    print(f"result={result}")
    print(f"kernel_ms={(t1 - t0) * 1000.0}")


main()
