//go:build !purego

package kernels

// GatherSets returns the supported amd64 sets twice each, their fused
// hard-label kernels' short-row path finding z_y once by compares and once
// by a gather (the set itself takes one of the two, by fastGather), so
// that the tests check both on any CPU.
func GatherSets() []*Set {
	var sets []*Set
	for _, s := range archSets {
		if !s.Supported() {
			continue
		}
		for _, gather := range []bool{false, true} {
			c := *s
			c.name += map[bool]string{false: "/compare", true: "/gather"}[gather]
			c.crossEntropyLabels = crossEntropyLabelsAVX2(gather)
			if s == AVX512 {
				c.crossEntropyLabels = crossEntropyLabelsAVX512(gather)
			}
			sets = append(sets, &c)
		}
	}
	return sets
}
