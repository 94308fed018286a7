// object_creation: allocation. Appends N objects {id, value, name} to an array, then
// folds every object's value and the array length into a checksum.
"use strict";

function objectCreation(n) {
  const objs = [];
  for (let i = 0; i < n; i++) {
    objs.push({ id: i, value: i * 2, name: "obj" + String(i) });
  }
  let total = objs.length;
  for (let i = 0; i < objs.length; i++) {
    total = total + objs[i].value;
  }
  return total;
}

const size = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 100000;
objectCreation(1000);
const t0 = performance.now();
const result = objectCreation(size);
const t1 = performance.now();
console.log(`result=${result}`);
console.log(`kernel_ms=${t1 - t0}`);
