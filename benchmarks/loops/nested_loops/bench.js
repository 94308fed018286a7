// nested_loops: loop overhead. An N x N counting loop.
"use strict";

function nestedLoops(n) {
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      count = count + 1;
    }
  }
  return count;
}

const size = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 1000;
nestedLoops(30);
const t0 = performance.now();
const result = nestedLoops(size);
const t1 = performance.now();
console.log(`result=${result}`);
console.log(`kernel_ms=${t1 - t0}`);
