//go:build linux

package testutil

import (
	"syscall"
	"unsafe"
)

// Guarded is a float32 buffer placed between two PROT_NONE pages, so that a
// kernel reading or writing one element before its start or past its end
// faults instead of passing silently.
type Guarded struct {
	mem []byte
}

// NewGuarded maps a region with room for up to max float32 between guards.
func NewGuarded(max int) *Guarded {
	page := syscall.Getpagesize()
	n := (max*4+page-1)/page*page + 2*page
	mem, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		panic(err)
	}
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		panic(err)
	}
	if err := syscall.Mprotect(mem[n-page:], syscall.PROT_NONE); err != nil {
		panic(err)
	}
	return &Guarded{mem: mem}
}

// End returns n float32 that end exactly where the trailing guard page starts.
func (g *Guarded) End(n int) []float32 {
	page := syscall.Getpagesize()
	end := len(g.mem) - page
	if n == 0 {
		return []float32{}
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&g.mem[end-4*n])), n)
}

// Start returns n float32 that start exactly where the leading guard page ends.
func (g *Guarded) Start(n int) []float32 {
	page := syscall.Getpagesize()
	if n == 0 {
		return []float32{}
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&g.mem[page])), n)
}

// Free unmaps the region; slices from it must not be used afterwards.
func (g *Guarded) Free() { _ = syscall.Munmap(g.mem) }
