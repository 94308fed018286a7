// hash_map: map insert and lookup. Inserts N int keys i -> i * 2 into a map created
// without a size hint, then reads every key back and sums the values.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func hashMap(n int) int {
	d := make(map[int]int)
	for i := 0; i < n; i++ {
		d[i] = i * 2
	}
	total := 0
	for i := 0; i < n; i++ {
		total = total + d[i]
	}
	return total
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
	hashMap(1000)
	t0 := time.Now()
	result := hashMap(size)
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%d\n", result)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
