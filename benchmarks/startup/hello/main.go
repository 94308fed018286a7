// hello: start-up cost. The kernel only builds a greeting; the whole-process wall time
// is the number that matters. The size argument is accepted and ignored.
package main

import (
	"fmt"
	"time"
)

func main() {
	t0 := time.Now()
	greeting := "hello"
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%s\n", greeting)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
