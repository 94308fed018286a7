"""array_sum: array growth, indexing and loop.

Builds a list of N ints by appending 0..N-1 in a loop, then sums it by index.
"""
import sys
import time


def array_sum(n):
    arr = []
    for i in range(n):
        arr.append(i)
    total = 0
    for i in range(len(arr)):
        total = total + arr[i]
    return total


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    array_sum(1000)
    t0 = time.perf_counter()
    result = array_sum(size)
    t1 = time.perf_counter()
    print(f"result={result}")
    print(f"kernel_ms={(t1 - t0) * 1000.0}")


main()
