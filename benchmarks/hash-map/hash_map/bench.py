"""hash_map: dict insert and lookup.

Inserts N int keys i -> i * 2, then reads every key back and sums the values.
"""
import sys
import time


def hash_map(n):
    d = {}
    for i in range(n):
        d[i] = i * 2
    total = 0
    for i in range(n):
        total = total + d[i]
    return total


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    hash_map(1000)
    t0 = time.perf_counter()
    result = hash_map(size)
    t1 = time.perf_counter()
    print(f"result={result}")
    print(f"kernel_ms={(t1 - t0) * 1000.0}")


main()
