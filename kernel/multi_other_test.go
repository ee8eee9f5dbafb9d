//go:build !amd64 || purego

package kernel

// multiTestImpls: the pure-Go SgemvMulti.
func multiTestImpls() []multiImpl { return []multiImpl{{"generic", sgemvMultiGeneric}} }
