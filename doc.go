// Package simdloss provides SIMD-accelerated kernels for machine-learning
// loss functions: row-wise softmax, log-softmax and log-sum-exp, and batched
// squared Euclidean distances and dot products, for float32 data in row-major
// layout; and the losses built on them, each a documented type with a
// forward pass that also writes the gradients: CrossEntropy, Triplet and
// TripletMiner, LinearCrossEntropy, Focal and SigmoidFocal, MarginSoftmax
// (ArcFace, CosFace, SphereFace), Centre, Contrastive, LosslessTriplet,
// InfoNCE, Circle and MultiSimilarity. Losses return an error, and write
// nothing, for bad input (a label out of range, a negative weight, a length
// mismatch).
//
// # Kernel sets and dispatch
//
// At init the package picks the fastest kernel set the CPU supports: "avx512"
// (AVX-512F with AVX2 and FMA3, on amd64: 16-lane softmax-family,
// cross-entropy and matrix-product kernels, the AVX2 kernels elsewhere), "avx2"
// (AVX2 and FMA3, on amd64), "neon" (on arm64) or "generic" (pure Go, every
// GOARCH, and any build with the purego tag). The environment variable
// SIMDLOSS_KERNELS=generic|avx2|avx512|neon forces a set ("auto" or unset:
// the fastest); an unknown or unsupported name panics at init and names the
// valid choices. Kernels reports the set in use. Every package-level
// function is safe for concurrent use: the package holds no mutable state
// after init, and hot paths allocate nothing. The loss types say when their
// methods are (most: while their fields are not changed; a TripletMiner
// keeps scratch and is not).
//
// # Shapes
//
// A matrix is a []float32 in row-major order: rows = len(src)/cols. A shape
// mismatch (a length that is not a multiple of cols or dim, cols or dim <= 0
// with data, dst too short) panics with a message that starts with
// "simdloss:" and names the length that is wrong, as copy-like kernels do.
// Empty input is a no-op. Softmax and LogSoftmax may run in place (dst and
// src the same slice); any other overlap of dst with an input panics, except
// that LogSumExp, SquaredL2Rows and DotRows also allow dst to start where an
// input starts.
//
// # Numerics
//
// Every kernel set returns exactly the same bits as the generic set for the
// same input (every NaN counts as equal to every NaN: x86 and Arm differ in
// NaN payloads). The generic package documents the canonical algorithm that
// makes this possible (generic/CANONICAL.md): one exponential polynomial
// (and a second, for the focal loss's expm1), one logarithm, fixed reduction
// trees and fixed fused multiply-adds.
//
// Special values follow PyTorch 1.13 on CPU: the softmax and log-softmax of a
// row holding NaN, holding +Inf, or made only of -Inf are NaN everywhere; a
// -Inf element gives 0 (softmax) or -Inf (log-softmax); the log-sum-exp of a
// row is NaN if it holds a NaN, else +Inf if it holds +Inf, else -Inf if it is
// all -Inf. The maximum of the row is subtracted first, so large values never
// overflow (the log-sum-exp of four 88.7 is 90.0863).
//
// Accuracy against float64 on ordinary rows: the log-softmax and log-sum-exp
// are within 2e-6 relative (absolute for results below 1 in magnitude) for
// rows up to 4096 columns and 1e-5 up to 262144. The softmax is within the
// same bounds beyond the conditioning of exp: each exp(x_i - max) is taken of
// a float32 difference that is rounded by up to |x_i - max|·2^-24, as in any
// float32 implementation that subtracts the maximum (PyTorch's included), so
// probabilities of very unlikely classes carry that extra relative error.
// Probabilities below 2^-126 may flush to zero (absolute error < 1.2e-38).
//
// SquaredL2 uses ||a||² + ||b||² - 2a·b, clamped at 0, with an error within
// 1e-5·(||a||² + ||b||²); SquaredL2Rows sums squared differences directly.
package simdloss
