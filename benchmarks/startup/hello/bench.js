// hello: start-up cost. The kernel only builds a greeting; the whole-process wall time
// is the number that matters. The size argument is accepted and ignored.
"use strict";

const t0 = performance.now();
const greeting = "hello";
const t1 = performance.now();
console.log(`result=${greeting}`);
console.log(`kernel_ms=${t1 - t0}`);
