// mandelbrot: float arithmetic in a loop. Counts the points of an N x N grid over
// [-1.5, 0.5] x [-1, 1] that stay bounded for 50 iterations of z = z^2 + c.
"use strict";

function mandelbrot(n) {
  let inside = 0;
  for (let py = 0; py < n; py++) {
    for (let px = 0; px < n; px++) {
      const cr = (2.0 * px) / n - 1.5;
      const ci = (2.0 * py) / n - 1.0;
      let zr = 0.0;
      let zi = 0.0;
      let k = 0;
      let escaped = false;
      while (k < 50) {
        const zr2 = zr * zr;
        const zi2 = zi * zi;
        if (zr2 + zi2 > 4.0) {
          escaped = true;
          break;
        }
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        k = k + 1;
      }
      if (!escaped) {
        inside = inside + 1;
      }
    }
  }
  return inside;
}

const size = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 200;
mandelbrot(10);
const t0 = performance.now();
const result = mandelbrot(size);
const t1 = performance.now();
console.log(`result=${result}`);
console.log(`kernel_ms=${t1 - t0}`);
