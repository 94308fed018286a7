// mandelbrot: float arithmetic in a loop. Counts the points of an N x N grid over
// [-1.5, 0.5] x [-1, 1] that stay bounded for 50 iterations of z = z^2 + c.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func mandelbrot(n int) int {
	inside := 0
	for py := 0; py < n; py++ {
		for px := 0; px < n; px++ {
			cr := 2.0*float64(px)/float64(n) - 1.5
			ci := 2.0*float64(py)/float64(n) - 1.0
			zr := 0.0
			zi := 0.0
			k := 0
			escaped := false
			for k < 50 {
				zr2 := zr * zr
				zi2 := zi * zi
				if zr2+zi2 > 4.0 {
					escaped = true
					break
				}
				zi = 2.0*zr*zi + ci
				zr = zr2 - zi2 + cr
				k = k + 1
			}
			if !escaped {
				inside = inside + 1
			}
		}
	}
	return inside
}

func main() {
	size := 200
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "size must be an integer")
			os.Exit(2)
		}
		size = v
	}
	mandelbrot(10)
	t0 := time.Now()
	result := mandelbrot(size)
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%d\n", result)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
