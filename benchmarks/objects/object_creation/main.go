// object_creation: allocation. Appends N maps {id, value, name} (a hash map, as Ruff
// uses a dict) to a slice, then folds every object's value and the slice length into a
// checksum.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func objectCreation(n int) int {
	var objs []map[string]interface{}
	for i := 0; i < n; i++ {
		objs = append(objs, map[string]interface{}{"id": i, "value": i * 2, "name": "obj" + strconv.Itoa(i)})
	}
	total := len(objs)
	for i := 0; i < len(objs); i++ {
		total = total + objs[i]["value"].(int)
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
	objectCreation(1000)
	t0 := time.Now()
	result := objectCreation(size)
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("result=%d\n", result)
	fmt.Printf("kernel_ms=%.6f\n", ms)
}
