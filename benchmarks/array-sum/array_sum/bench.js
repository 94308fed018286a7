// array_sum: array growth, indexing and loop. Builds an array of N ints by appending
// 0..N-1 in a loop, then sums it by index.
"use strict";

function arraySum(n) {
  const arr = [];
  for (let i = 0; i < n; i++) {
    arr.push(i);
  }
  let total = 0;
  for (let i = 0; i < arr.length; i++) {
    total = total + arr[i];
  }
  return total;
}

const size = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 1000000;
arraySum(1000);
const t0 = performance.now();
const result = arraySum(size);
const t1 = performance.now();
console.log(`result=${result}`);
console.log(`kernel_ms=${t1 - t0}`);
