//go:build !amd64 || purego

package kernel

// gemmTestFamilies: the pure-Go SGEMM kernel.
func gemmTestFamilies() []*gemmFamily { return []*gemmFamily{gemmGeneric} }

func sgemvTestVariants() map[string]func(y, a, x []float32, n int) {
	return map[string]func(y, a, x []float32, n int){"generic": sgemvRowsGeneric}
}
