package simdloss

import (
	"cmp"
	"slices"
)

// labelGroups is the rows of a labelled batch ordered by label (ties by
// index), with each row's label group in that order: the pair and triplet
// losses visit an anchor's positives through it instead of testing every
// label of the batch for every anchor, and mask the group to get at the
// negatives. The zero value is ready; build reuses its memory.
type labelGroups struct {
	ord, gs, ge []int32
}

// build groups the rows of labels: afterwards group(i) is the rows that
// share row i's label, i included, in increasing order.
func (g *labelGroups) build(labels []int32) {
	n := len(labels)
	g.ord, g.gs, g.ge = growI32(g.ord, n), growI32(g.gs, n), growI32(g.ge, n)
	ord := g.ord[:n]
	for i := range ord {
		ord[i] = int32(i)
	}
	slices.SortFunc(ord, func(a, b int32) int {
		if la, lb := labels[a], labels[b]; la != lb {
			return cmp.Compare(la, lb)
		}
		return cmp.Compare(a, b)
	})
	for s := 0; s < n; {
		e := s + 1
		for e < n && labels[ord[e]] == labels[ord[s]] {
			e++
		}
		for _, r := range ord[s:e] {
			g.gs[r], g.ge[r] = int32(s), int32(e)
		}
		s = e
	}
}

// group returns the rows that share row i's label, i included.
func (g *labelGroups) group(i int) []int32 { return g.ord[g.gs[i]:g.ge[i]] }
