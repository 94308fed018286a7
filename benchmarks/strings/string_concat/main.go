// string_concat: string building. Appends "x" N times with += (no strings.Builder),
// then takes the length.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func stringConcat(n int) int {
	s := ""
	for i := 0; i < n; i++ {
		s += "x"
	}
	return len(s)
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
	stringConcat(100)
	t0 := time.Now()
	result := stringConcat(size)
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%d\n", result)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
