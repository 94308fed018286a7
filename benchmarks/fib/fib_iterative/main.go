// fib_iterative: loop, arithmetic and modulo. STEPS steps of the Fibonacci recurrence
// modulo 1000000007, repeated 10 times; the checksum folds each repetition's last value.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func fibIterative(steps int, reps int) int {
	checksum := 0
	a := 0
	b := 1
	t := 0
	for r := 0; r < reps; r++ {
		a = 0
		b = 1
		for i := 0; i < steps; i++ {
			t = b
			b = (a + b) % 1000000007
			a = t
		}
		checksum = (checksum + b) % 1000000007
	}
	return checksum
}

func main() {
	size := 100000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "size must be an integer")
			os.Exit(2)
		}
		size = v
	}
	fibIterative(1000, 1)
	t0 := time.Now()
	result := fibIterative(size, 10)
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%d\n", result)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
