// fib_recursive: calls, recursion and small-int arithmetic (naive doubly recursive fib).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	size := 30
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "size must be an integer")
			os.Exit(2)
		}
		size = v
	}
	fib(10)
	t0 := time.Now()
	result := fib(size)
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%d\n", result)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
