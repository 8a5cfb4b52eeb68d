package check

import (
	"math"
	"strings"
	"testing"
)

// TestMatMulOverflow checks that sizes whose products overflow int panic
// instead of wrapping past the length checks.
func TestMatMulOverflow(t *testing.T) {
	for _, c := range [][3]int{{math.MaxInt / 3, 1, 4}, {1, math.MaxInt/2 + 1, 4}, {math.MaxInt, 2, 1}, {3, math.MaxInt / 2, 3}} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "simdloss: MatMul: len(") {
					t.Errorf("m, n, k = %v: recovered %q, want a length panic", c, msg)
				}
			}()
			MatMul("MatMul", 16, 16, 16, c[0], c[1], c[2])
		}()
	}
	MatMul("MatMul", 6, 6, 9, 2, 3, 3) // fits: no panic
}
