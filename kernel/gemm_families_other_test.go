//go:build !amd64 || purego

package kernel

// gemmTestFamilies: the pure-Go SGEMM kernel.
func gemmTestFamilies() []*gemmFamily { return []*gemmFamily{gemmGeneric} }
