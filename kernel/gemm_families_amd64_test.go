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

// sgemvTestVariants: every Sgemv kernel this CPU can run, by name.
func sgemvTestVariants() map[string]func(y, a, x []float32, n int) {
	r := map[string]func(y, a, x []float32, n int){"generic": sgemvRowsGeneric}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		r["avx2 4x8"] = sgemvRowsVec(sgemv4Asm, 4, 8)
	}
	if cpu.X86.HasAVX512F {
		r["avx512 8x32"] = sgemvRowsVec(sgemv8x32Asm, 8, 32)
	}
	return r
}
