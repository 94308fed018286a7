"""mandelbrot: float arithmetic in a loop.

Counts the points of an N x N grid over [-1.5, 0.5] x [-1, 1] that stay bounded for
50 iterations of z = z^2 + c.
"""
import sys
import time


def mandelbrot(n):
    inside = 0
    for py in range(n):
        for px in range(n):
            cr = 2.0 * px / n - 1.5
            ci = 2.0 * py / n - 1.0
            zr = 0.0
            zi = 0.0
            k = 0
            escaped = False
            while k < 50:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    escaped = True
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                k = k + 1
            if not escaped:
                inside = inside + 1
    return inside


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    mandelbrot(10)
    t0 = time.perf_counter()
    result = mandelbrot(size)
    t1 = time.perf_counter()
    print(f"result={result}")
    print(f"kernel_ms={(t1 - t0) * 1000.0}")


main()
