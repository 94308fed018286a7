// string_concat: string building. Appends "x" N times with +, then takes the length.
"use strict";

function stringConcat(n) {
  let s = "";
  for (let i = 0; i < n; i++) {
    s = s + "x";
  }
  return s.length;
}

const size = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 100000;
stringConcat(100);
const t0 = performance.now();
const result = stringConcat(size);
const t1 = performance.now();
console.log(`result=${result}`);
console.log(`kernel_ms=${t1 - t0}`);
