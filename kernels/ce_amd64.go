//go:build !purego

package kernels

import "github.com/simdloss/simdloss/kernels/asm"

var (
	crossEntropyAVX2 = ceKernel([8]ceAsm{
		asm.CrossEntropyPlainAVX2, asm.CrossEntropySAVX2, asm.CrossEntropyWAVX2, asm.CrossEntropyWSAVX2,
		asm.CrossEntropyGAVX2, asm.CrossEntropyGSAVX2, asm.CrossEntropyGWAVX2, asm.CrossEntropyGWSAVX2,
	})
	crossEntropySoftAVX2 = ceSoftKernel([4]ceSoftAsm{
		asm.CrossEntropySoftPlainAVX2, asm.CrossEntropySoftWAVX2, asm.CrossEntropySoftGAVX2, asm.CrossEntropySoftGWAVX2,
	})
)
