"""fib_recursive: calls, recursion and small-int arithmetic (naive doubly recursive fib)."""
import sys
import time


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    fib(10)
    t0 = time.perf_counter()
    result = fib(size)
    t1 = time.perf_counter()
    print(f"result={result}")
    print(f"kernel_ms={(t1 - t0) * 1000.0}")


main()
