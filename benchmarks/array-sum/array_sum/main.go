// array_sum: array growth, indexing and loop. Builds a slice of N ints by appending
// 0..N-1 in a loop (no preallocation), then sums it by index.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func arraySum(n int) int {
	var arr []int
	for i := 0; i < n; i++ {
		arr = append(arr, i)
	}
	total := 0
	for i := 0; i < len(arr); i++ {
		total = total + arr[i]
	}
	return total
}

func main() {
	size := 1000000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "size must be an integer")
			os.Exit(2)
		}
		size = v
	}
	arraySum(1000)
	t0 := time.Now()
	result := arraySum(size)
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%d\n", result)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
