"""object_creation: allocation.

Appends N dicts {id, value, name} to a list, then folds every object's value and the
list length into a checksum.
"""
import sys
import time


def object_creation(n):
    objs = []
    for i in range(n):
        objs.append({"id": i, "value": i * 2, "name": "obj" + str(i)})
    total = len(objs)
    for i in range(len(objs)):
        total = total + objs[i]["value"]
    return total


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    object_creation(1000)
    t0 = time.perf_counter()
    result = object_creation(size)
    t1 = time.perf_counter()
    print(f"result={result}")
    print(f"kernel_ms={(t1 - t0) * 1000.0}")


main()
