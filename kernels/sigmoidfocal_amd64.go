//go:build !purego

package kernels

import "github.com/simdloss/simdloss/kernels/asm"

// sigmoidFocalAVX2 runs the generated kernel; Set.SigmoidFocal has checked
// the shapes and that γ is one the kernel takes (an integer).
func sigmoidFocalAVX2(loss, grad, x, t []float32, alpha, beta, gamma, scale float32) {
	alpha, beta = sigmoidFocalAlpha(alpha, beta)
	asm.SigmoidFocalAVX2(ptr(loss), at(grad, 0), ptr(x), ptr(t), len(x), alpha, beta, gamma, scale, int(gamma))
}

// focalTermsAVX2 runs the generated kernel; Set.FocalTerms has checked the
// shapes and that γ is an integer the kernel takes.
func focalTermsAVX2(loss, coef, logp, alpha []float32, gamma, scale float32) {
	asm.FocalTermsAVX2(ptr(loss), ptr(coef), ptr(logp), ptr(alpha), len(logp), gamma, scale, int(gamma))
}
