// hash_map: Map insert and lookup. Inserts N int keys i -> i * 2, then reads every key
// back and sums the values.
"use strict";

function hashMap(n) {
  const d = new Map();
  for (let i = 0; i < n; i++) {
    d.set(i, i * 2);
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    total = total + d.get(i);
  }
  return total;
}

const size = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 100000;
hashMap(1000);
const t0 = performance.now();
const result = hashMap(size);
const t1 = performance.now();
console.log(`result=${result}`);
console.log(`kernel_ms=${t1 - t0}`);
