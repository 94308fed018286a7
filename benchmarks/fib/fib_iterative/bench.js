// fib_iterative: loop, arithmetic and modulo. STEPS steps of the Fibonacci recurrence
// modulo 1000000007, repeated 10 times; the checksum folds each repetition's last value.
"use strict";

function fibIterative(steps, reps) {
  let checksum = 0;
  let a = 0;
  let b = 1;
  let t = 0;
  for (let r = 0; r < reps; r++) {
    a = 0;
    b = 1;
    for (let i = 0; i < steps; i++) {
      t = b;
      b = (a + b) % 1000000007;
      a = t;
    }
    checksum = (checksum + b) % 1000000007;
  }
  return checksum;
}

const size = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 100000;
fibIterative(1000, 1);
const t0 = performance.now();
const result = fibIterative(size, 10);
const t1 = performance.now();
console.log(`result=${result}`);
console.log(`kernel_ms=${t1 - t0}`);
