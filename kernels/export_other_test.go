//go:build purego || !amd64

package kernels

// GatherSets is empty: only the amd64 sets have the choice (see
// export_amd64_test.go).
func GatherSets() []*Set { return nil }
