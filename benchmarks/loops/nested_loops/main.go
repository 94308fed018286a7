// nested_loops: loop overhead. An N x N counting loop.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func nestedLoops(n int) int {
	count := 0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			count = count + 1
		}
	}
	return count
}

func main() {
	size := 1000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "size must be an integer")
			os.Exit(2)
		}
		size = v
	}
	nestedLoops(30)
	t0 := time.Now()
	result := nestedLoops(size)
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%d\n", result)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
