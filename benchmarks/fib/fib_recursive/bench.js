// fib_recursive: calls, recursion and small-int arithmetic (naive doubly recursive fib).
"use strict";

function fib(n) {
  if (n < 2) {
    return n;
  }
  return fib(n - 1) + fib(n - 2);
}

const size = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 30;
fib(10);
const t0 = performance.now();
const result = fib(size);
const t1 = performance.now();
console.log(`result=${result}`);
console.log(`kernel_ms=${t1 - t0}`);
