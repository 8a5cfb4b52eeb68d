//go:build race

package testutil

// Race reports whether the race detector is on. Allocation tests skip under
// it: sync.Pool drops items at random when racing, on purpose.
const Race = true
