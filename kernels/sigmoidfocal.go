//go:build !purego && (amd64 || arm64)

package kernels

// sigmoidFocalAlpha is the (alpha, beta) the kernels compute α_t with:
// alpha < 0 (the weighting off) becomes alpha = beta = 1, as in
// generic.SigmoidFocal.
func sigmoidFocalAlpha(alpha, beta float32) (float32, float32) {
	if alpha < 0 {
		return 1, 1
	}
	return alpha, beta
}
