//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// gemmTestFamilies: every SGEMM kernel family this CPU can run.
func gemmTestFamilies() []*gemmFamily {
	r := []*gemmFamily{gemmGeneric}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		r = append(r, gemmAVX2)
	}
	if cpu.X86.HasAVX512F {
		r = append(r, gemmAVX512)
	}
	return r
}
