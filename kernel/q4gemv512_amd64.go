//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// hasQ4Z reports what gemvQ4ZAsm (../asm/q4gemv512.go) needs: AVX-512F
// (16-lane VPERMPS, VPMOVZXBD, FMA) and F16C for the block scales; BW
// and VL are asked too so that it runs only where the whole AVX-512 base
// set is present. With it, GemvQ4_0 (float32 activations) looks each
// block's nibbles up in the table d·(q−8) instead of converting them:
// 11 GB/s against the AVX2 kernel's 8.3 on one core (2304×768 rows,
// weights from memory), and the same values as dequantizing the row.
var hasQ4Z = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasF16C
