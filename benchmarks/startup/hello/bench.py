"""hello: start-up cost.

The kernel only builds a greeting; the whole-process wall time is the number that
matters. The size argument is accepted and ignored.
"""
import time

t0 = time.perf_counter()
greeting = "hello"
t1 = time.perf_counter()
print(f"result={greeting}")
print(f"kernel_ms={(t1 - t0) * 1000.0}")
