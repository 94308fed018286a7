"""nested_loops: loop overhead. An N x N counting loop."""
import sys
import time


def nested_loops(n):
    count = 0
    for i in range(n):
        for j in range(n):
            count = count + 1
    return count


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    nested_loops(30)
    t0 = time.perf_counter()
    result = nested_loops(size)
    t1 = time.perf_counter()
    print(f"result={result}")
    print(f"kernel_ms={(t1 - t0) * 1000.0}")


main()
