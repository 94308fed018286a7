"""string_concat: string building. Appends "x" N times with +, then takes the length."""
import sys
import time


def string_concat(n):
    s = ""
    for i in range(n):
        s = s + "x"
    return len(s)


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    string_concat(100)
    t0 = time.perf_counter()
    result = string_concat(size)
    t1 = time.perf_counter()
    print(f"result={result}")
    print(f"kernel_ms={(t1 - t0) * 1000.0}")


main()
