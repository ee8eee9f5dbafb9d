//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// multiTestImpls: every SgemvMulti kernel family this CPU can run.
func multiTestImpls() []multiImpl {
	r := []multiImpl{{"generic", sgemvMultiGeneric}}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		r = append(r, multiImpl{"avx2", multiAVX2.run})
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		r = append(r, multiImpl{"avx512", multiAVX512.run})
	}
	return r
}
