package simdloss_test

import (
	"fmt"

	"github.com/simdloss/simdloss"
)

func ExampleCrossEntropy() {
	// Two samples, three classes; class 2 is rare and weighs more.
	logits := []float32{
		2.0, 0.5, -1.0,
		0.1, 0.2, 1.5,
	}
	labels := []int32{0, 2}
	ce := simdloss.CrossEntropy{ClassWeights: []float32{1, 1, 4}}
	grad := make([]float32, len(logits))
	loss, err := ce.Forward(logits, labels, 3, nil, grad)
	if err != nil {
		panic(err)
	}
	fmt.Printf("loss %.4f\ngrad %.4f\n", loss, grad)
	// Output:
	// loss 0.3828
	// grad [-0.0429 0.0351 0.0078 0.1299 0.1435 -0.2734]
}

func ExampleCrossEntropy_ForwardSoft() {
	logits := []float32{1, 2, 3}
	targets := []float32{0.1, 0.2, 0.7} // a distribution instead of a label
	ce := simdloss.CrossEntropy{LabelSmoothing: 0.1}
	loss, err := ce.ForwardSoft(logits, targets, 3, nil, nil)
	fmt.Printf("%.4f %v\n", loss, err)
	// Output: 0.8676 <nil>
}

func ExampleCrossEntropy_ignoreIndex() {
	ce := simdloss.CrossEntropy{IgnoreIndex: -100, Reduction: simdloss.None}
	perRow := make([]float32, 2)
	_, err := ce.Forward([]float32{0, 0, 5, 5}, []int32{1, -100}, 2, perRow, nil)
	fmt.Printf("%.4f %v\n", perRow, err)
	_, err = ce.Forward([]float32{0, 0}, []int32{2}, 2, nil, nil)
	fmt.Println(err)
	// Output:
	// [0.6931 0.0000] <nil>
	// simdloss: CrossEntropy.Forward: labels[0] = 2 is outside [0, 2) and not the ignore index
}

func ExampleTriplet() {
	// One triplet in 2-D: the positive is 1 away, the negative 1.5 away, so
	// with margin 1 the loss is 1 - 1.5 + 1 = 0.5.
	anchor := []float32{0, 0}
	positive := []float32{1, 0}
	negative := []float32{0, 1.5}
	t := simdloss.Triplet{Margin: 1, Distance: simdloss.Euclidean, Eps: 1e-6}
	gA := make([]float32, 2)
	loss, _ := t.Forward(anchor, positive, negative, 2, nil, gA, nil, nil)
	fmt.Printf("loss %.4f, d loss/d anchor %.4f\n", loss, gA)
	// Output: loss 0.5000, d loss/d anchor [-1.0000 1.0000]
}

func ExampleTripletMiner() {
	// Four 2-D embeddings of two classes, on the corners of a unit square:
	// every anchor's hardest positive and hardest negative are both at
	// squared distance 1, so each anchor's loss is 1 - 1 + 0.5.
	emb := []float32{
		0, 0,
		0, 1,
		1, 0,
		1, 1,
	}
	labels := []int32{7, 7, 9, 9}
	m := simdloss.TripletMiner{
		Triplet: simdloss.Triplet{Margin: 0.5},
		Mining:  simdloss.BatchHard,
	}
	grad := make([]float32, len(emb))
	loss, err := m.Forward(emb, labels, 2, grad)
	fmt.Printf("%.4f %v\n", loss, err)
	// Output: 0.5000 <nil>
}

func ExampleLinearCrossEntropy() {
	// Two hidden states of size 2 and a 3-class output layer; the 2×3
	// logits are never stored.
	hidden := []float32{1, 0, 0, 2}
	weight := []float32{ // one row per class
		1, 0,
		0, 1,
		-1, -1,
	}
	labels := []int32{0, 1}
	lc := simdloss.LinearCrossEntropy{}
	gradHidden := make([]float32, len(hidden))
	loss, err := lc.Forward(hidden, weight, labels, 2, nil, gradHidden, nil)
	fmt.Printf("%.4f %.4f %v\n", loss, gradHidden, err)
	// Output: 0.2753 [-0.2124 0.0773 0.0507 -0.0745] <nil>
}

func ExampleInfoNCE_ForwardSymmetric() {
	// Two image embeddings and their two caption embeddings (CLIP style):
	// each image is closest to its own caption.
	images := []float32{
		1, 0.1,
		0.1, 1,
	}
	captions := []float32{
		0.9, 0,
		0, 0.8,
	}
	c := simdloss.InfoNCE{Temperature: 0.5}
	gImages := make([]float32, len(images))
	loss, err := c.ForwardSymmetric(images, captions, 2, gImages, nil)
	fmt.Printf("loss %.4f %v\nd loss/d images %.4f\n", loss, err, gImages)
	// Output:
	// loss 0.1542 <nil>
	// d loss/d images [-0.0155 0.1549 0.1549 -0.0155]
}

func ExampleCircle() {
	// Four 2-D embeddings of two classes; row 1 sits closer to class 2.
	emb := []float32{
		1, 0,
		0.6, 0.8,
		0, 1,
		0.2, 1,
	}
	labels := []int32{1, 1, 2, 2}
	c := simdloss.Circle{Margin: 0.25, Gamma: 80} // the paper's retrieval setting
	grad := make([]float32, len(emb))
	loss, err := c.Forward(emb, labels, 2, grad)
	fmt.Printf("%.4f %v\n", loss, err)
	// Output: 42.5501 <nil>
}

func ExampleMultiSimilarity() {
	emb := []float32{
		1, 0,
		0.6, 0.8,
		0, 1,
		0.2, 1,
	}
	labels := []int32{1, 1, 2, 2}
	ms := simdloss.MultiSimilarity{Alpha: 2, Beta: 50, Base: 0.5, Mine: true, Epsilon: 0.1}
	loss, err := ms.Forward(emb, labels, 2, nil)
	fmt.Printf("%.4f %v\n", loss, err)
	// Output: 0.3163 <nil>
}

func ExampleArcFace() {
	// Two face embeddings, three identities (class weight rows).
	emb := []float32{
		0.6, 0.5, 0.2,
		0.3, 0.4, 0.5,
	}
	classes := []float32{
		1, 0, 0,
		0, 1, 0,
		0, 0, 1,
	}
	arc := simdloss.ArcFace(64, 0.5)
	gEmb, gClasses := make([]float32, len(emb)), make([]float32, len(classes))
	loss, err := arc.Forward(emb, classes, []int32{0, 2}, 3, gEmb, gClasses)
	fmt.Printf("ArcFace %.4f %v\n", loss, err)
	// Output: ArcFace 18.2863 <nil>
}

func ExampleCosFace() {
	// One embedding at 45° from both classes: the target's logit is
	// s·(cos 45° - m), the other's s·cos 45°, so the loss is about s·m.
	emb := []float32{1, 1}
	classes := []float32{
		1, 0,
		0, 3, // the norms of the class weights do not matter
	}
	c := simdloss.CosFace(64, 0.35)
	loss, err := c.Forward(emb, classes, []int32{0}, 2, nil, nil)
	fmt.Printf("CosFace %.4f %v\n", loss, err)
	// Output: CosFace 22.4000 <nil>
}

func ExampleSphereFace() {
	// SphereFace multiplies the angle: with m1 = 4 the 45° angle to the
	// target acts like 180° (ψ = -1), and the loss is large even though
	// the embedding is nearer its own class (45°) than the other (135°).
	emb := []float32{1, 1}
	classes := []float32{1, 0, -1, 0}
	sf := simdloss.SphereFace(30, 4)
	loss, err := sf.Forward(emb, classes, []int32{0}, 2, nil, nil)
	fmt.Printf("SphereFace %.4f %v\n", loss, err)
	// Output: SphereFace 8.7869 <nil>
}

func ExampleMarginSoftmax() {
	// The combined margin of the ArcFace paper, cos(m1·θ + m2) - m3, here
	// with insightface's "combined" setting (1, 0.3, 0.2), and ArcFace's
	// easy margin on its own.
	emb := []float32{0.6, 0.8, -0.8, 0.6}
	classes := []float32{1, 0, 0, 1}
	labels := []int32{1, 0} // row 0 is at 37° from its class, row 1 at 143°
	combined := simdloss.MarginSoftmax{Scale: 64, M1: 1, M2: 0.3, M3: 0.2}
	// With the easy margin, row 1 (cos θ < 0) gets no margin at all.
	easy := simdloss.MarginSoftmax{Scale: 64, M1: 1, M2: 0.5, EasyMargin: true}
	for _, c := range []simdloss.MarginSoftmax{combined, easy} {
		loss, err := c.Forward(emb, classes, labels, 2, nil, nil)
		fmt.Printf("%.4f %v\n", loss, err)
	}
	// Output:
	// 62.5480 <nil>
	// 50.7389 <nil>
}

func ExampleInfoNCE() {
	// NT-Xent (SimCLR): rows i and i+N are two views of the same image;
	// every other row of the batch is a negative.
	z := []float32{
		1, 0, // image 0, view a
		0, 1, // image 1, view a
		0.9, 0.1, // image 0, view b
		0.2, 0.9, // image 1, view b
	}
	c := simdloss.InfoNCE{Temperature: 0.1}
	grad := make([]float32, len(z))
	loss, err := c.ForwardNTXent(z, 2, grad)
	fmt.Printf("loss %.4f %v\n", loss, err)
	// Swapping the two b views pairs each image with the other's view.
	z[4], z[5], z[6], z[7] = z[6], z[7], z[4], z[5]
	bad, _ := c.ForwardNTXent(z, 2, nil)
	fmt.Printf("mismatched %.4f\n", bad)
	// Output:
	// loss 0.0010 <nil>
	// mismatched 8.2146
}

func ExampleCrossEntropy_ForwardWeighted() {
	// Edge detection as per-pixel classification: three pixels, classes
	// {background, edge}; the edge pixel weighs 10, and one pixel is
	// masked out with weight 0.
	logits := []float32{
		2, -1, // background, right
		0, 1, // edge, right but unsure
		-1, 3, // masked
	}
	labels := []int32{0, 1, 0}
	weights := []float32{1, 10, 0}
	ce := simdloss.CrossEntropy{Reduction: simdloss.Sum}
	loss, err := ce.ForwardWeighted(logits, labels, weights, 2, nil, nil)
	fmt.Printf("%.4f %v\n", loss, err)
	// Output: 3.1812 <nil>
}

func ExampleCrossEntropy_ForwardSoftWeighted() {
	// Distillation: soft targets from a teacher, one row weighted twice.
	logits := []float32{1, 0, 0, 1}
	teacher := []float32{0.8, 0.2, 0.3, 0.7}
	ce := simdloss.CrossEntropy{Reduction: simdloss.None}
	perRow := make([]float32, 2)
	_, err := ce.ForwardSoftWeighted(logits, teacher, []float32{1, 2}, 2, perRow, nil)
	fmt.Printf("%.4f %v\n", perRow, err)
	// Output: [0.5133 1.2265] <nil>
}

func ExampleReduction() {
	// The same two rows under each reduction; Mean divides by the summed
	// class weights of the rows (PyTorch's weighted mean), and None
	// returns the sum with each row's loss in perRow.
	logits := []float32{0, 0, 0, 0}
	labels := []int32{0, 1}
	for _, r := range []simdloss.Reduction{simdloss.Mean, simdloss.Sum, simdloss.None} {
		ce := simdloss.CrossEntropy{ClassWeights: []float32{1, 3}, Reduction: r}
		perRow := make([]float32, 2)
		loss, _ := ce.Forward(logits, labels, 2, perRow, nil)
		fmt.Printf("%-4v %.4f %.4f\n", r, loss, perRow)
	}
	// Output:
	// Mean 0.6931 [0.6931 2.0794]
	// Sum  2.7726 [0.6931 2.0794]
	// None 2.7726 [0.6931 2.0794]
}

func ExampleDistance() {
	// One triplet under both distances: squared (FaceNet) and Euclidean
	// (PyTorch's triplet_margin_loss).
	anchor, positive, negative := []float32{0, 0}, []float32{2, 0}, []float32{0, 3}
	for _, d := range []simdloss.Distance{simdloss.SquaredEuclidean, simdloss.Euclidean} {
		t := simdloss.Triplet{Margin: 4, Distance: d}
		loss, _ := t.Forward(anchor, positive, negative, 2, nil, nil, nil, nil)
		fmt.Printf("%v: %.4f\n", d, loss)
	}
	// Output:
	// SquaredEuclidean: 0.0000
	// Euclidean: 3.0000
}

func ExampleMining() {
	// The three miners on one batch of two classes.
	emb := []float32{
		0, 0,
		0, 1,
		1, 0,
		3, 3,
		3, 2.5,
		0.5, 0.5,
	}
	labels := []int32{1, 1, 1, 2, 2, 2}
	for _, mining := range []simdloss.Mining{simdloss.BatchAll, simdloss.BatchHard, simdloss.SemiHard} {
		m := simdloss.TripletMiner{Triplet: simdloss.Triplet{Margin: 1}, Mining: mining}
		loss, _ := m.Forward(emb, labels, 2, nil)
		fmt.Printf("%v: %.4f\n", mining, loss)
	}
	// Output:
	// BatchAll: 5.6167
	// BatchHard: 3.5000
	// SemiHard: 2.0208
}

func ExampleFocal() {
	// The easy, confidently right row counts far less than in the
	// cross-entropy; the hard one nearly as much.
	logits := []float32{
		4, 0, 0, // easy: p(label 0) ≈ 0.96
		0, 0.5, 0, // hard: p(label 0) ≈ 0.27
	}
	perRow := make([]float32, 2)
	f := simdloss.Focal{Gamma: 2, Reduction: simdloss.None}
	_, err := f.Forward(logits, []int32{0, 0}, 3, perRow, nil)
	ce := simdloss.CrossEntropy{Reduction: simdloss.None}
	cePerRow := make([]float32, 2)
	_, _ = ce.Forward(logits, []int32{0, 0}, 3, cePerRow, nil)
	fmt.Printf("focal %.5f\ncross-entropy %.5f %v\n", perRow, cePerRow, err)
	// Output:
	// focal [0.00004 0.68211]
	// cross-entropy [0.03598 1.29438] <nil>
}

func ExampleSigmoidFocal() {
	sf := simdloss.SigmoidFocal{Alpha: 0.25, Gamma: 2} // torchvision's defaults
	loss, err := sf.Forward([]float32{2, -1, 0.5}, []float32{1, 0, 0}, nil, nil)
	fmt.Printf("%.4f %v\n", loss, err)
	// Output: 0.1002 <nil>
}

func ExampleCentre() {
	// Two 2-D embeddings of class 0 and one of class 1, and the centres.
	x := []float32{
		1, 0,
		0, 1,
		5, 5,
	}
	centres := []float32{
		0, 0, // class 0
		4, 4, // class 1
	}
	labels := []int32{0, 0, 1}
	c := simdloss.Centre{Alpha: 0.5, Reduction: simdloss.Sum} // the paper's ½·Σ‖x - c‖²
	grad := make([]float32, len(x))
	loss, _ := c.Forward(x, centres, labels, 2, nil, grad)
	_ = c.Update(centres, x, labels, 2) // after the optimiser step on x
	fmt.Printf("loss %.2f grad %.2f\ncentres %.4f\n", loss, grad, centres)
	// Output:
	// loss 2.00 grad [1.00 0.00 0.00 1.00 1.00 1.00]
	// centres [0.1667 0.1667 4.2500 4.2500]
}

func ExampleContrastive() {
	a := []float32{0, 0, 0, 0}
	b := []float32{0.3, 0.4, 0.3, 0.4} // both pairs at distance 0.5
	c := simdloss.Contrastive{Margin: 1, Reduction: simdloss.None}
	perPair := make([]float32, 2)
	_, err := c.Forward(a, b, []bool{true, false}, 2, perPair, nil, nil)
	fmt.Printf("similar %.3f, dissimilar %.3f %v\n", perPair[0], perPair[1], err)
	// Output: similar 0.125, dissimilar 0.125 <nil>
}

func ExampleLosslessTriplet() {
	// Sigmoid outputs in 2-D: β = N = 2.
	anchor := []float32{0.9, 0.1}
	positive := []float32{0.8, 0.2}
	negative := []float32{0.1, 0.9}
	t := simdloss.LosslessTriplet{Eps: 1e-8}
	loss, err := t.Forward(anchor, positive, negative, 2, nil, nil, nil, nil)
	fmt.Printf("%.4f %v\n", loss, err)
	// Output: 0.4563 <nil>
}
