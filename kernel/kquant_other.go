//go:build !amd64 || purego

package kernel

// archVariants has no assembly to offer here: the generic kernels stay.
func archVariants() {}
