// Package asm holds the generated assembly of simdloss and its Go
// declarations, nothing else: rows_*.s (softmax family), l2_*.s (squared L2,
// dot products and their packing), elem_arm64.s (the elementwise NEON
// kernels), written by the programs in gen/.
//
// These functions take raw pointers and trust their lengths: they do no
// bounds checks. Call them through package kernels, which checks shapes.
package asm

//go:generate go run -C ../../gen ./avx2rows -out ../kernels/asm/rows_amd64.s -stubs ../kernels/asm/rows_amd64.go -pkg asm
//go:generate go run -C ../../gen ./avx2rows -isa avx512 -out ../kernels/asm/rows512_amd64.s -stubs ../kernels/asm/rows512_amd64.go -pkg asm
//go:generate go run -C ../../gen ./avx2l2 -out ../kernels/asm/l2_amd64.s -stubs ../kernels/asm/l2_amd64.go -pkg asm
//go:generate go run -C ../../gen ./neon -kind rows -out ../kernels/asm/rows_arm64.s -stubs ../kernels/asm/rows_arm64.go -pkg asm
//go:generate go run -C ../../gen ./neon -kind l2 -out ../kernels/asm/l2_arm64.s -stubs ../kernels/asm/l2_arm64.go -pkg asm
//go:generate go run -C ../../gen ./neon -kind elem -out ../kernels/asm/elem_arm64.s -stubs ../kernels/asm/elem_arm64.go -pkg asm
