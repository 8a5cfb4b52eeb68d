package simdloss

import (
	"math"
	"strings"
	"testing"
)

// TestLossAliasing runs every loss with an output that overlaps one of its
// inputs or another output: each call must return an error naming the two
// slices and leave the shared buffer, inputs and outputs alike, bit for bit
// as it was.
func TestLossAliasing(t *testing.T) {
	buf := make([]float32, 64)
	for i := range buf {
		buf[i] = 0.1 + 0.05*float32(i%7) // valid as logits, embeddings, weights and targets in [0, 1]
	}
	s := func(i, n int) []float32 { return buf[i : i+n : i+n] }
	fresh := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = 0.3 - 0.1*float32(i%5)
		}
		return x
	}
	two := []int32{0, 1}
	cases := []struct {
		name, want string
		call       func() error
	}{
		{"CE perRow in logits", "perRow overlaps logits", func() error {
			_, err := (&CrossEntropy{}).Forward(s(0, 4), two, 2, s(2, 2), nil)
			return err
		}},
		{"CE grad and perRow", "grad overlaps perRow", func() error {
			_, err := (&CrossEntropy{}).Forward(fresh(4), two, 2, s(10, 2), s(8, 4))
			return err
		}},
		{"CE grad in sampleWeights", "grad overlaps sampleWeights", func() error {
			_, err := (&CrossEntropy{}).ForwardWeighted(fresh(4), two, s(8, 2), 2, nil, s(6, 4))
			return err
		}},
		{"CE perRow in ClassWeights", "perRow overlaps ClassWeights", func() error {
			_, err := (&CrossEntropy{ClassWeights: s(16, 2), LabelSmoothing: 0.1}).Forward(fresh(4), two, 2, s(16, 2), nil)
			return err
		}},
		{"CE soft perRow in targets", "perRow overlaps targets", func() error {
			_, err := (&CrossEntropy{}).ForwardSoft(fresh(4), s(20, 4), 2, s(22, 2), nil)
			return err
		}},
		{"Triplet perRow in gradA", "perRow overlaps gradA", func() error {
			_, err := (&Triplet{Margin: 1}).Forward(fresh(4), fresh(4), fresh(4), 2, s(8, 2), s(8, 4), nil, nil)
			return err
		}},
		{"Triplet perRow in anchor", "perRow overlaps anchor", func() error {
			_, err := (&Triplet{Margin: 1}).Forward(s(0, 4), fresh(4), fresh(4), 2, s(2, 2), nil, nil, nil)
			return err
		}},
		{"Triplet gradN in negative", "gradN overlaps negative", func() error {
			_, err := (&Triplet{Margin: 1}).Forward(fresh(4), fresh(4), s(0, 4), 2, nil, nil, nil, s(0, 4))
			return err
		}},
		{"Contrastive perRow in gradB", "perRow overlaps gradB", func() error {
			_, err := (&Contrastive{Margin: 1}).Forward(fresh(4), fresh(4), []bool{true, false}, 2, s(12, 2), nil, s(12, 4))
			return err
		}},
		{"LosslessTriplet perRow in positive", "perRow overlaps positive", func() error {
			_, err := (&LosslessTriplet{Eps: 1e-8}).Forward(fresh(4), s(0, 4), fresh(4), 2, s(1, 2), nil, nil, nil)
			return err
		}},
		{"LinearCE perRow in gradHidden", "gradHidden overlaps perRow", func() error {
			_, err := (&LinearCrossEntropy{}).Forward(fresh(4), fresh(4), two, 2, s(30, 2), s(28, 4), nil)
			return err
		}},
		{"LinearCE gradWeight in ClassWeights", "gradWeight overlaps ClassWeights", func() error {
			lc := LinearCrossEntropy{CrossEntropy: CrossEntropy{ClassWeights: s(40, 2)}}
			_, err := lc.Forward(fresh(4), fresh(4), two, 2, nil, nil, s(38, 4))
			return err
		}},
		{"Focal grad in Alpha", "grad overlaps Alpha", func() error {
			_, err := (&Focal{Gamma: 2, Alpha: s(4, 2)}).Forward(fresh(4), two, 2, nil, s(2, 4))
			return err
		}},
		{"SigmoidFocal perElem in targets", "perElem overlaps targets", func() error {
			_, err := (&SigmoidFocal{Alpha: 0.25, Gamma: 2}).Forward(fresh(4), s(0, 4), s(3, 4), nil)
			return err
		}},
		{"Centre perRow in centres", "perRow overlaps", func() error {
			_, err := (&Centre{Alpha: 0.5}).Forward(fresh(4), s(0, 4), two, 2, s(2, 2), nil)
			return err
		}},
		{"MarginSoftmax gradW in x", "gradW overlaps x", func() error {
			c := ArcFace(64, 0.5)
			_, err := c.Forward(s(0, 4), fresh(4), two, 2, nil, s(0, 4))
			return err
		}},
		{"InfoNCE gradA in b", "gradA overlaps b", func() error {
			_, err := (&InfoNCE{Temperature: 0.1}).ForwardSymmetric(fresh(4), s(0, 4), 2, s(2, 4), nil)
			return err
		}},
	}
	for _, c := range cases {
		before := make([]uint32, len(buf))
		for i, v := range buf {
			before[i] = math.Float32bits(v)
		}
		err := c.call()
		if err == nil || !strings.HasPrefix(err.Error(), "simdloss: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		for i, v := range buf {
			if math.Float32bits(v) != before[i] {
				t.Errorf("%s: buf[%d] changed from %v to %v despite the error", c.name, i, math.Float32frombits(before[i]), v)
				break
			}
		}
	}
}
