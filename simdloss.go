package simdloss

// Softmax writes the softmax of each row of the row-major rows×cols matrix
// src into dst: dst[r*cols+i] = exp(src[r*cols+i]) / Σ_k exp(src[r*cols+k]),
// with rows = len(src)/cols. dst may be src (in place); other overlap panics.
func Softmax(dst, src []float32, cols int) { active.Softmax(dst, src, cols) }

// LogSoftmax writes log(softmax(row)) of each row of src into dst, computed as
// (x_i - max) - log Σ exp(x_k - max). dst may be src (in place).
func LogSoftmax(dst, src []float32, cols int) { active.LogSoftmax(dst, src, cols) }

// LogSumExp writes log Σ_k exp(src[r*cols+k]) of each row r into dst[r]
// (len(dst) >= rows). dst may start where src starts (each row is read
// before its result is written); other overlap panics.
func LogSumExp(dst, src []float32, cols int) { active.LogSumExp(dst, src, cols) }

// SquaredL2 writes the squared Euclidean distance of every row of a to every
// row of b: dst[i*n+j] = ||a_i - b_j||^2 with m = len(a)/dim rows of a and
// n = len(b)/dim rows of b (len(dst) >= m*n; dst must not overlap a or b).
// It uses ||a_i||^2 + ||b_j||^2 - 2 a_i·b_j, clamped at 0.
func SquaredL2(dst, a, b []float32, dim int) { active.SquaredL2(dst, a, b, dim) }

// SquaredL2Rows writes dst[i] = ||a_i - b_i||^2 for paired rows of a and b
// (len(a) == len(b), len(dst) >= rows), summing the squared differences
// directly. dst may start where a or b starts; other overlap panics.
func SquaredL2Rows(dst, a, b []float32, dim int) { active.SquaredL2Rows(dst, a, b, dim) }

// Dots writes the matrix of dot products dst[i*n+j] = a_i · b_j (that is
// a·bᵀ for row-major a and b) with the same shapes as SquaredL2.
func Dots(dst, a, b []float32, dim int) { active.Dots(dst, a, b, dim) }

// DotRows writes dst[i] = a_i · b_i for paired rows of a and b (len(a) ==
// len(b), len(dst) >= rows). dst may start where a or b starts; other
// overlap panics.
func DotRows(dst, a, b []float32, dim int) { active.DotRows(dst, a, b, dim) }

// Cosines writes the cosine similarities dst[i*n+j] = â_i · b̂_j of the m
// rows of a and the n rows of b (shapes as SquaredL2), each row normalised
// as torch.nn.functional.normalize does: x / max(||x||, 1e-12). It runs the
// Dots micro-kernel with the norms applied in its epilogue.
func Cosines(dst, a, b []float32, dim int) { active.Cosines(dst, a, b, dim) }

// MatMul writes dst = op(a)·op(b), m×n row-major, where op(a) is m×k (a is
// m×k row-major, or k×m with transA) and op(b) is k×n (b is k×n, or n×k with
// transB). Each output is a fused multiply-add chain over k in order (the
// canonical dot product), on the same register-blocked micro-kernel as
// Dots, which is MatMul(dst, a, b, m, n, dim, false, true). k = 0 zeroes
// dst's m×n outputs. It panics with a simdloss: message if a slice is too
// short or dst overlaps a or b.
func MatMul(dst, a, b []float32, m, n, k int, transA, transB bool) {
	active.MatMul(dst, a, b, m, n, k, transA, transB)
}

// MatMulAdd is MatMul accumulating into dst: dst += op(a)·op(b), each
// output continuing its fused multiply-add chain from the value in dst (so
// a product split along k into consecutive MatMulAdd calls gives the same
// bits as one MatMul).
func MatMulAdd(dst, a, b []float32, m, n, k int, transA, transB bool) {
	active.MatMulAdd(dst, a, b, m, n, k, transA, transB)
}
