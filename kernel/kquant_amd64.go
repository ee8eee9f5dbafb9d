//go:build amd64 && !purego

package kernel

// archVariants replaces the generic kernels of the hot types by assembly
// when the CPU has AVX2 (see ../asm).
func archVariants() {}
