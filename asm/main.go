// Command asm generates the AVX2+FMA (and AVX-512) assembly kernels of package kernel
// (github.com/llmparts/llmparts/kernel) with avo. It lives in its own
// module so that avo never becomes a dependency of the main module. Run it
// through go generate in kernel/:
//
//	go run -C ../asm . -out ../kernel/asm_amd64.s -stubs ../kernel/asm_amd64.go -pkg kernel
//
// Every kernel processes whole 8-float vectors only: the Go wrappers in
// kernel/dispatch_amd64.go pass slices whose lengths are multiples of 8 (or
// of the block size) and finish the few remaining elements in Go. That
// keeps the assembly free of scalar tail loops.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	vectorKernels()
	expKernels()
	normKernels()
	sgemvKernel()
	sgemvMultiKernel()
	sgemvMulti8Kernels()
	ropeKernels()
	gemmKernel()
	avx512GemmKernels()
	sgemvZKernels()
	transpose8Kernel()
	blasKernels()
	quantKernels()
	gemvQ4SumKernel()
	q4GemvZKernel()
	quantQ8Kernels()
	quantQ8x4Kernels()
	gemmQ8ZKernel(false)
	gemmQ8ZKernel(true)
	gemvQ8ZKernel(false)
	gemvQ8ZKernel(true)
	packZKernel()
	gemmQ8YKernel(false)
	gemmQ8YKernel(true)
	gemvQ8YKernel(false)
	gemvQ8YKernel(true)
	quantQ8ZKernel()
	halfKernels()
	halfDotKernels()
	halfGemvKernels()
	kquantKernels()
	kquant512Kernels()
	iq4Kernels()
	Generate()
}

// at addresses element i+8k of the float32 (or 4-byte) array at base.
func at(base, i reg.Register, k int) Mem {
	return Mem{Base: base, Index: i, Scale: 4, Disp: 32 * k}
}

// vloop emits: for i := 0; i < n; i += 8 { body } with the body unrolled
// `unroll` times while at least 8·unroll elements remain. n must be a
// multiple of 8. body(k) handles elements i+8k .. i+8k+7.
func vloop(name string, n reg.Register, unroll int, body func(i reg.Register, k int)) {
	i := GP64()
	XORQ(i, i)
	nb := GP64()
	MOVQ(n, nb)
	shift := 0
	for 1<<shift < 8*unroll {
		shift++
	}
	SHRQ(U8(shift), nb)
	SHLQ(U8(shift), nb)
	Label(name + "_big")
	CMPQ(i, nb)
	JAE(LabelRef(name + "_one"))
	for k := 0; k < unroll; k++ {
		body(i, k)
	}
	ADDQ(U32(8*unroll), i)
	JMP(LabelRef(name + "_big"))
	Label(name + "_one")
	CMPQ(i, n)
	JAE(LabelRef(name + "_done"))
	body(i, 0)
	ADDQ(U32(8), i)
	JMP(LabelRef(name + "_one"))
	Label(name + "_done")
}

// hsum returns an XMM register whose lane 0 holds the sum of the 8 lanes
// of y.
func hsum(y reg.VecVirtual) reg.VecVirtual {
	x := XMM()
	VEXTRACTF128(U8(1), y, x)
	VADDPS(x, y.AsX(), x)
	t := XMM()
	VMOVHLPS(x, x, t)
	VADDPS(t, x, x)
	VMOVSHDUP(x, t)
	VADDSS(t, x, x)
	return x
}

// bcast broadcasts the float32 parameter name from its stack slot to a
// YMM. It must not go through avo's Load, which emits a legacy-SSE MOVSS:
// executed while the upper halves of the YMM registers are dirty, that
// costs over 100 ns per call on this machine (measured: the gemm
// micro-kernel went from 74 to 92 GFLOP/s at kc = 256 without it).
func bcast(name string) reg.VecVirtual {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	y := YMM()
	VBROADCASTSS(b.Addr, y)
	return y
}

func base(name string) reg.Register { return Load(Param(name).Base(), GP64()) }

func length(name string) reg.Register { return Load(Param(name).Len(), GP64()) }

func zeros(n int) []reg.VecVirtual {
	r := make([]reg.VecVirtual, n)
	for k := range r {
		r[k] = YMM()
		VXORPS(r[k], r[k], r[k])
	}
	return r
}

// sumAccs adds the accumulators pairwise into acc[0].
func sumAccs(acc []reg.VecVirtual) reg.VecVirtual {
	for len(acc) > 1 {
		h := len(acc) / 2
		for k := 0; k < h; k++ {
			VADDPS(acc[k+h], acc[k], acc[k])
		}
		acc = acc[:h]
	}
	return acc[0]
}

// reduce emits a reduction kernel: acc[k] gets body's contributions,
// the sum of all lanes is returned as the float32 result.
func reduce(name, sig string, unroll int, body func(i reg.Register, k int, acc reg.VecVirtual)) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	acc := zeros(unroll)
	n := length(firstParam(sig))
	setup()
	vloop(name, n, unroll, func(i reg.Register, k int) { body(i, k, acc[k]) })
	s := hsum(sumAccs(acc))
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

var setup = func() {}

func firstParam(sig string) string {
	// "func(x, y []float32) float32" -> "x"
	s := sig[len("func("):]
	for j := 0; j < len(s); j++ {
		if s[j] == ',' || s[j] == ' ' {
			return s[:j]
		}
	}
	panic("bad signature " + sig)
}

func vectorKernels() {
	var x, y reg.Register
	setup = func() { x, y = base("x"), base("y") }
	reduce("dotAsm", "func(x, y []float32) float32", 4, func(i reg.Register, k int, acc reg.VecVirtual) {
		v := YMM()
		VMOVUPS(at(x, i, k), v)
		VFMADD231PS(at(y, i, k), v, acc)
	})
	setup = func() { x = base("x") }
	reduce("sumSqAsm", "func(x []float32) float32", 4, func(i reg.Register, k int, acc reg.VecVirtual) {
		v := YMM()
		VMOVUPS(at(x, i, k), v)
		VFMADD231PS(v, v, acc)
	})
	reduce("sumAsm", "func(x []float32) float32", 4, func(i reg.Register, k int, acc reg.VecVirtual) {
		VADDPS(at(x, i, k), acc, acc)
	})
	var a, b, c reg.Register
	var s1 reg.VecVirtual
	setup = func() { a, b, c = base("a"), base("b"), base("c"); s1 = nil }
	reduce("dot3Asm", "func(a, b, c []float32) float32", 4, func(i reg.Register, k int, acc reg.VecVirtual) {
		v := YMM()
		VMOVUPS(at(a, i, k), v)
		VMULPS(at(b, i, k), v, v)
		VFMADD231PS(at(c, i, k), v, acc)
	})
	setup = func() { x = base("x"); s1 = bcast("mu") }
	reduce("sumSqDiffAsm", "func(x []float32, mu float32) float32", 4, func(i reg.Register, k int, acc reg.VecVirtual) {
		v := YMM()
		VMOVUPS(at(x, i, k), v)
		VSUBPS(s1, v, v)
		VFMADD231PS(v, v, acc)
	})

	// Maximum with NaN propagation: a separate "unordered" accumulator
	// records whether any lane compared unordered with itself.
	TEXT("maxAsm", NOSPLIT, "func(x []float32, init float32) float32")
	Pragma("noescape")
	{
		x := base("x")
		n := length("x")
		ini := bcast("init")
		m := make([]reg.VecVirtual, 2)
		for k := range m {
			m[k] = YMM()
			VMOVAPS(ini, m[k])
		}
		nan := zeros(1)[0]
		vloop("maxAsm", n, 2, func(i reg.Register, k int) {
			v := YMM()
			VMOVUPS(at(x, i, k), v)
			t := YMM()
			VCMPPS(U8(3), v, v, t) // unordered: NaN lanes
			VORPS(t, nan, nan)
			VMAXPS(v, m[k], m[k])
		})
		VMAXPS(m[1], m[0], m[0])
		hx := XMM()
		VEXTRACTF128(U8(1), m[0], hx)
		VMAXPS(hx, m[0].AsX(), hx)
		t := XMM()
		VMOVHLPS(hx, hx, t)
		VMAXPS(t, hx, hx)
		VMOVSHDUP(hx, t)
		VMAXSS(t, hx, hx)
		// Any NaN: return a NaN.
		VPTEST(nan, nan)
		JZ(LabelRef("maxAsm_ret"))
		nanc := ConstData("nanf32", U32(0x7fc00000))
		VMOVSS(nanc, hx)
		Label("maxAsm_ret")
		VZEROUPPER()
		Store(hx, ReturnIndex(0))
		RET()
	}

	TEXT("axpyAsm", NOSPLIT, "func(a float32, x, y []float32)")
	Pragma("noescape")
	{
		av := bcast("a")
		x, y := base("x"), base("y")
		n := length("x")
		vloop("axpyAsm", n, 4, func(i reg.Register, k int) {
			v := YMM()
			VMOVUPS(at(y, i, k), v)
			VFMADD231PS(at(x, i, k), av, v)
			VMOVUPS(v, at(y, i, k))
		})
		VZEROUPPER()
		RET()
	}

	TEXT("scaleAsm", NOSPLIT, "func(a float32, x []float32)")
	Pragma("noescape")
	{
		av := bcast("a")
		x := base("x")
		n := length("x")
		vloop("scaleAsm", n, 4, func(i reg.Register, k int) {
			v := YMM()
			VMULPS(at(x, i, k), av, v)
			VMOVUPS(v, at(x, i, k))
		})
		VZEROUPPER()
		RET()
	}

	for _, op := range []struct {
		name string
		f    func(...Op)
	}{{"addAsm", VADDPS}, {"mulAsm", VMULPS}} {
		TEXT(op.name, NOSPLIT, "func(dst, a, b []float32)")
		Pragma("noescape")
		d, a, b := base("dst"), base("a"), base("b")
		n := length("dst")
		vloop(op.name, n, 4, func(i reg.Register, k int) {
			v := YMM()
			VMOVUPS(at(a, i, k), v)
			op.f(at(b, i, k), v, v)
			VMOVUPS(v, at(d, i, k))
		})
		VZEROUPPER()
		RET()
	}
}

// expConsts holds the broadcast constants of the vector exp.
type expConsts struct {
	lo, hi, log2e, half, c1, c2, one reg.VecVirtual
	p                                [6]reg.VecVirtual
	bias                             reg.VecVirtual
}

func bconst(name string, v float32) reg.VecVirtual {
	y := YMM()
	VBROADCASTSS(ConstData(name, F32(v)), y)
	return y
}

var expConstMem = map[string]Mem{}

// cmem returns a memory operand for a float32 constant (shared by name).
func cmem(name string, v float32) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	DATA(0, F32(v))
	expConstMem[name] = m
	return m
}

// vexp emits y = exp(x) for 8 lanes (Cephes expf; see expf in
// kernel/vector.go, which this mirrors step by step). x is clobbered.
// Constants are read from memory, so only 3 extra registers are used.
func vexp(x reg.VecVirtual) reg.VecVirtual {
	under := YMM()
	lo := YMM()
	VBROADCASTSS(cmem("expLo", -87.3365478515625), lo)
	VCMPPS(U8(1), lo, x, under) // x < lo (false for NaN)
	hi := YMM()
	VBROADCASTSS(cmem("expHi", 88.37), hi)
	VMINPS(x, hi, x) // NaN in x is kept (second operand returned)
	fx := YMM()
	VMULPS(cmem8("expLog2e", 1.44269504088896341), x, fx)
	VADDPS(cmem8("expHalf", 0.5), fx, fx)
	VROUNDPS(U8(1), fx, fx) // floor
	VFNMADD231PS(cmem8("expC1", 0.693359375), fx, x)
	VFNMADD231PS(cmem8("expC2", -2.12194440e-4), fx, x)
	p := YMM()
	VBROADCASTSS(cmem("expP0", 1.9875691500e-4), p)
	for k, c := range []float32{1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1} {
		VFMADD213PS(cmem8(fmt.Sprintf("expP%d", k+1), c), x, p)
	}
	r2 := lo
	VMULPS(x, x, r2)
	VFMADD213PS(x, r2, p) // p = p·r² + r
	VADDPS(cmem8("expOne", 1), p, p)
	n := hi
	VCVTPS2DQ(fx, n)
	VPADDD(cmem8i("expBias", 127), n, n)
	VPSLLD(U8(23), n, n)
	VMULPS(n, p, p)
	VANDNPS(p, under, p) // 0 where x < lo
	return p
}

// cmem8 returns a 32-byte constant of 8 equal float32 lanes (memory
// operands of 256-bit instructions read 32 bytes).
func cmem8(name string, v float32) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for k := 0; k < 8; k++ {
		DATA(4*k, F32(v))
	}
	expConstMem[name] = m
	return m
}

func cmem8i(name string, v uint32) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for k := 0; k < 8; k++ {
		DATA(4*k, U32(v))
	}
	expConstMem[name] = m
	return m
}

func cmem16b(name string, v uint8) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for k := 0; k < 16; k++ {
		DATA(k, U8(v))
	}
	expConstMem[name] = m
	return m
}

func expKernels() {
	TEXT("expSubAsm", NOSPLIT, "func(x []float32, m float32) float32")
	Pragma("noescape")
	{
		acc := zeros(2)
		x := base("x")
		n := length("x")
		m := bcast("m")
		vloop("expSubAsm", n, 2, func(i reg.Register, k int) {
			v := YMM()
			VMOVUPS(at(x, i, k), v)
			VSUBPS(m, v, v)
			e := vexp(v)
			VMOVUPS(e, at(x, i, k))
			VADDPS(e, acc[k], acc[k])
		})
		s := hsum(sumAccs(acc))
		VZEROUPPER()
		Store(s, ReturnIndex(0))
		RET()
	}

	TEXT("siluMulAsm", NOSPLIT, "func(dst, gate, up []float32)")
	Pragma("noescape")
	{
		d, g, u := base("dst"), base("gate"), base("up")
		n := length("dst")
		vloop("siluMulAsm", n, 1, func(i reg.Register, k int) {
			gv := YMM()
			VMOVUPS(at(g, i, k), gv)
			v := YMM()
			VXORPS(cmem8i("signBit", 0x80000000), gv, v) // -g
			e := vexp(v)
			VADDPS(cmem8("expOne", 1), e, e)
			VDIVPS(e, gv, gv) // g / (1+e^-g)
			VMULPS(at(u, i, k), gv, gv)
			VMOVUPS(gv, at(d, i, k))
		})
		VZEROUPPER()
		RET()
	}
}

// storeOp returns VMOVUPS, or VMOVNTPS for non-temporal stores.
func storeOp(nt bool) func(v reg.VecVirtual, m Mem) {
	if nt {
		return func(v reg.VecVirtual, m Mem) { VMOVNTPS(v, m) }
	}
	return func(v reg.VecVirtual, m Mem) { VMOVUPS(v, m) }
}

func normKernels() {
	// y = x·s ⊙ w. The NT variants store with VMOVNTPS (y must be 32-byte
	// aligned), bypassing the caches: for outputs larger than the last
	// level cache this saves the read-for-ownership of every line.
	for _, nt := range []bool{false, true} {
		name := "scaleMulAsm"
		if nt {
			name = "scaleMulNTAsm"
		}
		st := storeOp(nt)
		TEXT(name, NOSPLIT, "func(y, x, w []float32, s float32)")
		Pragma("noescape")
		y, x, w := base("y"), base("x"), base("w")
		n := length("y")
		s := bcast("s")
		var xn reg.Register
		if nt {
			// Prefetch the same place of the next row (rows are
			// contiguous), so its reads overlap this row's writes.
			xn = GP64()
			LEAQ(Mem{Base: x, Index: n, Scale: 4}, xn)
		}
		vloop(name, n, 4, func(i reg.Register, k int) {
			if nt && k%2 == 0 {
				PREFETCHT0(at(xn, i, k))
				m := at(xn, i, k)
				m.Disp += 32
				PREFETCHT0(m)
			}
			v := YMM()
			VMULPS(at(x, i, k), s, v)
			VMULPS(at(w, i, k), v, v)
			st(v, at(y, i, k))
		})
		if nt {
			SFENCE()
		}
		VZEROUPPER()
		RET()
	}
	// dst += s·a⊙b
	TEXT("axpyMulAsm", NOSPLIT, "func(dst, a, b []float32, s float32)")
	Pragma("noescape")
	{
		d, a, b := base("dst"), base("a"), base("b")
		n := length("dst")
		s := bcast("s")
		vloop("axpyMulAsm", n, 4, func(i reg.Register, k int) {
			v := YMM()
			VMULPS(at(a, i, k), s, v)
			t := YMM()
			VMOVUPS(at(d, i, k), t)
			VFMADD231PS(at(b, i, k), v, t)
			VMOVUPS(t, at(d, i, k))
		})
		VZEROUPPER()
		RET()
	}
	// dx = inv·dy⊙w + k·x
	TEXT("rmsBwdAsm", NOSPLIT, "func(dx, dy, w, x []float32, inv, k float32)")
	Pragma("noescape")
	{
		dx, dy, w, x := base("dx"), base("dy"), base("w"), base("x")
		n := length("dx")
		inv, kk := bcast("inv"), bcast("k")
		vloop("rmsBwdAsm", n, 4, func(i reg.Register, k int) {
			v := YMM()
			VMULPS(at(dy, i, k), inv, v)
			VMULPS(at(w, i, k), v, v)
			VFMADD231PS(at(x, i, k), kk, v)
			VMOVUPS(v, at(dx, i, k))
		})
		VZEROUPPER()
		RET()
	}
	// Fused: dw += inv·dy⊙x and dx = inv·dy⊙w + k·x in one pass.
	TEXT("rmsBwdFusedAsm", NOSPLIT, "func(dx, dw, dy, w, x []float32, inv, k float32)")
	Pragma("noescape")
	{
		dx, dw, dy, w, x := base("dx"), base("dw"), base("dy"), base("w"), base("x")
		n := length("dx")
		inv, kk := bcast("inv"), bcast("k")
		vloop("rmsBwdFusedAsm", n, 2, func(i reg.Register, k int) {
			t := YMM()
			VMULPS(at(dy, i, k), inv, t)
			xv := YMM()
			VMOVUPS(at(x, i, k), xv)
			g := YMM()
			VMOVUPS(at(dw, i, k), g)
			VFMADD231PS(xv, t, g)
			VMOVUPS(g, at(dw, i, k))
			VMULPS(at(w, i, k), t, t)
			VFMADD231PS(xv, kk, t)
			VMOVUPS(t, at(dx, i, k))
		})
		VZEROUPPER()
		RET()
	}
	// y = (x−mu)·inv ⊙ w (+ b)
	for _, variant := range []struct{ bias, nt bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
		bias, nt := variant.bias, variant.nt
		name, sig := "normAffineAsm", "func(y, x, w, b []float32, mu, inv float32)"
		if !bias {
			name, sig = "normScaleAsm", "func(y, x, w []float32, mu, inv float32)"
		}
		if nt {
			name = name[:len(name)-3] + "NTAsm"
		}
		st := storeOp(nt)
		TEXT(name, NOSPLIT, sig)
		Pragma("noescape")
		y, x, w := base("y"), base("x"), base("w")
		var b reg.Register
		if bias {
			b = base("b")
		}
		n := length("y")
		mu, inv := bcast("mu"), bcast("inv")
		var xn reg.Register
		if nt {
			xn = GP64()
			LEAQ(Mem{Base: x, Index: n, Scale: 4}, xn)
		}
		vloop(name, n, 4, func(i reg.Register, k int) {
			if nt && k%2 == 0 {
				PREFETCHT0(at(xn, i, k))
				m := at(xn, i, k)
				m.Disp += 32
				PREFETCHT0(m)
			}
			v := YMM()
			VMOVUPS(at(x, i, k), v)
			VSUBPS(mu, v, v)
			VMULPS(inv, v, v)
			if bias {
				t := YMM()
				VMOVUPS(at(b, i, k), t)
				VFMADD231PS(at(w, i, k), v, t)
				st(t, at(y, i, k))
			} else {
				VMULPS(at(w, i, k), v, v)
				st(v, at(y, i, k))
			}
		})
		if nt {
			SFENCE()
		}
		VZEROUPPER()
		RET()
	}
	// Σ dy⊙w and Σ dy⊙w⊙(x−mu)
	TEXT("lnBwdSumsAsm", NOSPLIT, "func(dy, w, x []float32, mu float32) (float32, float32)")
	Pragma("noescape")
	{
		dy, w, x := base("dy"), base("w"), base("x")
		n := length("dy")
		mu := bcast("mu")
		sg, sgx := zeros(2), zeros(2)
		vloop("lnBwdSumsAsm", n, 2, func(i reg.Register, k int) {
			g := YMM()
			VMOVUPS(at(dy, i, k), g)
			VMULPS(at(w, i, k), g, g)
			VADDPS(g, sg[k], sg[k])
			xc := YMM()
			VMOVUPS(at(x, i, k), xc)
			VSUBPS(mu, xc, xc)
			VFMADD231PS(xc, g, sgx[k])
		})
		a := hsum(sumAccs(sg))
		b := hsum(sumAccs(sgx))
		VZEROUPPER()
		Store(a, ReturnIndex(0))
		Store(b, ReturnIndex(1))
		RET()
	}
	// dw += dy⊙(x−mu)·inv
	TEXT("lnBwdDwAsm", NOSPLIT, "func(dw, dy, x []float32, mu, inv float32)")
	Pragma("noescape")
	{
		dw, dy, x := base("dw"), base("dy"), base("x")
		n := length("dw")
		mu, inv := bcast("mu"), bcast("inv")
		vloop("lnBwdDwAsm", n, 4, func(i reg.Register, k int) {
			v := YMM()
			VMOVUPS(at(x, i, k), v)
			VSUBPS(mu, v, v)
			VMULPS(inv, v, v)
			t := YMM()
			VMOVUPS(at(dw, i, k), t)
			VFMADD231PS(at(dy, i, k), v, t)
			VMOVUPS(t, at(dw, i, k))
		})
		VZEROUPPER()
		RET()
	}
	// dx = inv·(dy⊙w − mg − x̂·mgx), x̂ = (x−mu)·inv
	TEXT("lnBwdDxAsm", NOSPLIT, "func(dx, dy, w, x []float32, mu, inv, mg, mgx float32)")
	Pragma("noescape")
	{
		dx, dy, w, x := base("dx"), base("dy"), base("w"), base("x")
		n := length("dx")
		mu, inv, mg, mgx := bcast("mu"), bcast("inv"), bcast("mg"), bcast("mgx")
		vloop("lnBwdDxAsm", n, 2, func(i reg.Register, k int) {
			xh := YMM()
			VMOVUPS(at(x, i, k), xh)
			VSUBPS(mu, xh, xh)
			VMULPS(inv, xh, xh)
			g := YMM()
			VMOVUPS(at(dy, i, k), g)
			VMULPS(at(w, i, k), g, g)
			VSUBPS(mg, g, g)
			VFNMADD231PS(mgx, xh, g)
			VMULPS(inv, g, g)
			VMOVUPS(g, at(dx, i, k))
		})
		VZEROUPPER()
		RET()
	}
	// Fused LayerNorm backward: with x̂ = (x−mu)·inv, dw += dy⊙x̂,
	// db += dy and dx = inv·(dy⊙w − mg − x̂·mgx), in one pass.
	TEXT("lnBwdFusedAsm", NOSPLIT, "func(dx, dw, db, dy, w, x []float32, mu, inv, mg, mgx float32)")
	Pragma("noescape")
	{
		dx, dw, db, dy, w, x := base("dx"), base("dw"), base("db"), base("dy"), base("w"), base("x")
		n := length("dx")
		mu, inv, mg, mgx := bcast("mu"), bcast("inv"), bcast("mg"), bcast("mgx")
		vloop("lnBwdFusedAsm", n, 1, func(i reg.Register, k int) {
			xh := YMM()
			VMOVUPS(at(x, i, k), xh)
			VSUBPS(mu, xh, xh)
			VMULPS(inv, xh, xh)
			d := YMM()
			VMOVUPS(at(dy, i, k), d)
			t := YMM()
			VMOVUPS(at(dw, i, k), t)
			VFMADD231PS(xh, d, t)
			VMOVUPS(t, at(dw, i, k))
			t2 := YMM()
			VADDPS(at(db, i, k), d, t2)
			VMOVUPS(t2, at(db, i, k))
			VMULPS(at(w, i, k), d, d)
			VSUBPS(mg, d, d)
			VFNMADD231PS(mgx, xh, d)
			VMULPS(inv, d, d)
			VMOVUPS(d, at(dx, i, k))
		})
		VZEROUPPER()
		RET()
	}
	// RoPE, half-split pairs: (a, b) → (a·c − b·s, a·s + b·c), with s
	// multiplied by sign (−1 for the backward pass).
	TEXT("ropeHalfAsm", NOSPLIT, "func(a, b, c, s []float32, sign float32)")
	Pragma("noescape")
	{
		a, b, c, s := base("a"), base("b"), base("c"), base("s")
		n := length("a")
		sg := bcast("sign")
		vloop("ropeHalfAsm", n, 2, func(i reg.Register, k int) {
			sv := YMM()
			VMULPS(at(s, i, k), sg, sv)
			cv := YMM()
			VMOVUPS(at(c, i, k), cv)
			av, bv := YMM(), YMM()
			VMOVUPS(at(a, i, k), av)
			VMOVUPS(at(b, i, k), bv)
			na := YMM()
			VMULPS(cv, av, na)
			VFNMADD231PS(sv, bv, na) // a·c − b·s
			VMULPS(cv, bv, bv)
			VFMADD231PS(sv, av, bv) // b·c + a·s
			VMOVUPS(na, at(a, i, k))
			VMOVUPS(bv, at(b, i, k))
		})
		VZEROUPPER()
		RET()
	}
}

// sgemvKernel: y[r] = Σ_j a[r·lda+j]·x[j] for 4 rows at a time; len(y) is
// a multiple of 4 and len(x) a multiple of 8.
// ropeKernels: rotary embedding of all heads of one token. x holds nHeads
// heads of headDim floats; the first nDims of each are rotated (nDims/2 a
// multiple of 8 for half-split, nDims a multiple of 8 for interleaved);
// c and s hold nDims/2 cos/sin values; sign is -1 for the backward pass.
func ropeKernels() {
	TEXT("ropeHalfHeadsAsm", NOSPLIT, "func(x, c, s []float32, nHeads, headDim, nDims int, sign float32)")
	Pragma("noescape")
	{
		x, c, s := base("x"), base("c"), base("s")
		nh := Load(Param("nHeads"), GP64())
		hd := Load(Param("headDim"), GP64())
		half := Load(Param("nDims"), GP64())
		SHRQ(U8(1), half)
		SHLQ(U8(2), hd) // bytes per head
		sg := bcast("sign")
		Label("ropeHalfHeads_head")
		TESTQ(nh, nh)
		JZ(LabelRef("ropeHalfHeads_end"))
		b := GP64()
		LEAQ(Mem{Base: x, Index: half, Scale: 4}, b)
		vloop("ropeHalfHeads", half, 2, func(i reg.Register, k int) {
			sv := YMM()
			VMULPS(at(s, i, k), sg, sv)
			cv := YMM()
			VMOVUPS(at(c, i, k), cv)
			av, bv := YMM(), YMM()
			VMOVUPS(at(x, i, k), av)
			VMOVUPS(at(b, i, k), bv)
			na := YMM()
			VMULPS(cv, av, na)
			VFNMADD231PS(sv, bv, na)
			VMULPS(cv, bv, bv)
			VFMADD231PS(sv, av, bv)
			VMOVUPS(na, at(x, i, k))
			VMOVUPS(bv, at(b, i, k))
		})
		ADDQ(hd, x)
		DECQ(nh)
		JMP(LabelRef("ropeHalfHeads_head"))
		Label("ropeHalfHeads_end")
		VZEROUPPER()
		RET()
	}

	TEXT("ropeInterHeadsAsm", NOSPLIT, "func(x, c, s []float32, nHeads, headDim, nDims int, sign float32)")
	Pragma("noescape")
	{
		x, c, s := base("x"), base("c"), base("s")
		nh := Load(Param("nHeads"), GP64())
		hd := Load(Param("headDim"), GP64())
		nd := Load(Param("nDims"), GP64())
		SHLQ(U8(2), hd)
		sg := bcast("sign")
		// alt = [-sign, +sign, -sign, ...]
		alt := YMM()
		VMULPS(cmem8alt("ropeAlt"), sg, alt)
		idx := YMM()
		VMOVDQU(cmemIdx("ropeDupIdx", []uint32{0, 0, 1, 1, 2, 2, 3, 3}), idx)
		Label("ropeInterHeads_head")
		TESTQ(nh, nh)
		JZ(LabelRef("ropeInterHeads_end"))
		j := GP64() // index into c/s (pairs)
		XORQ(j, j)
		vloop("ropeInterHeads", nd, 1, func(i reg.Register, k int) {
			cx, sx := YMM(), YMM()
			VMOVUPS(Mem{Base: c, Index: j, Scale: 4}, cx.AsX())
			VMOVUPS(Mem{Base: s, Index: j, Scale: 4}, sx.AsX())
			VPERMPS(cx, idx, cx)
			VPERMPS(sx, idx, sx)
			VMULPS(alt, sx, sx)
			v, sw := YMM(), YMM()
			VMOVUPS(at(x, i, k), v)
			VPERMILPS(U8(0xB1), v, sw)
			VMULPS(cx, v, v)
			VFMADD231PS(sx, sw, v)
			VMOVUPS(v, at(x, i, k))
			ADDQ(U8(4), j)
		})
		ADDQ(hd, x)
		DECQ(nh)
		JMP(LabelRef("ropeInterHeads_head"))
		Label("ropeInterHeads_end")
		VZEROUPPER()
		RET()
	}
}

func cmem8alt(name string) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for k := 0; k < 8; k++ {
		v := float32(1)
		if k%2 == 0 {
			v = -1
		}
		DATA(4*k, F32(v))
	}
	expConstMem[name] = m
	return m
}

func cmemIdx(name string, v []uint32) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for k, u := range v {
		DATA(4*k, U32(u))
	}
	expConstMem[name] = m
	return m
}

// sgemvPrefetch is how far ahead (bytes) sgemv prefetches each row; 0
// emits no prefetch. Measured here: the hardware prefetcher alone does as
// well (4 row streams already read faster than one SumSq stream), and an
// 8-row variant gained only 1–3%.
var sgemvPrefetch = 0

func sgemvKernel() {
	TEXT("sgemv4Asm", NOSPLIT, "func(y, a, x []float32, lda int)")
	Pragma("noescape")
	y, a, x := base("y"), base("a"), base("x")
	m := length("y")
	n := length("x")
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda) // bytes per row
	r := GP64()
	XORQ(r, r)
	Label("rows")
	CMPQ(r, m)
	JAE(LabelRef("end"))
	r0 := GP64()
	MOVQ(a, r0)
	r1, r2, r3 := GP64(), GP64(), GP64()
	LEAQ(Mem{Base: r0, Index: lda, Scale: 1}, r1)
	LEAQ(Mem{Base: r1, Index: lda, Scale: 1}, r2)
	LEAQ(Mem{Base: r2, Index: lda, Scale: 1}, r3)
	rows := []reg.Register{r0, r1, r2, r3}
	acc := make([][2]reg.VecVirtual, 4)
	for k := range acc {
		acc[k][0], acc[k][1] = YMM(), YMM()
		VXORPS(acc[k][0], acc[k][0], acc[k][0])
		VXORPS(acc[k][1], acc[k][1], acc[k][1])
	}
	vloop("sgemvcols", n, 2, func(i reg.Register, k int) {
		if k == 0 && sgemvPrefetch > 0 {
			// One cache line of each row per iteration: prefetch
			// sgemvPrefetch bytes ahead.
			for q := 0; q < 4; q++ {
				m := at(rows[q], i, 0)
				m.Disp = sgemvPrefetch
				PREFETCHT0(m)
			}
		}
		xv := YMM()
		VMOVUPS(at(x, i, k), xv)
		for q := 0; q < 4; q++ {
			VFMADD231PS(at(rows[q], i, k), xv, acc[q][k])
		}
	})
	for q := 0; q < 4; q++ {
		VADDPS(acc[q][1], acc[q][0], acc[q][0])
	}
	t0, t1 := acc[0][1], acc[2][1]
	VHADDPS(acc[1][0], acc[0][0], t0)
	VHADDPS(acc[3][0], acc[2][0], t1)
	VHADDPS(t1, t0, t0)
	hi := XMM()
	VEXTRACTF128(U8(1), t0, hi)
	VADDPS(hi, t0.AsX(), hi)
	VMOVUPS(hi, Mem{Base: y, Index: r, Scale: 4})
	// next 4 rows
	LEAQ(Mem{Base: a, Index: lda, Scale: 4}, a)
	ADDQ(U32(4), r)
	JMP(LabelRef("rows"))
	Label("end")
	VZEROUPPER()
	RET()
}

// sgemvMultiKernel: P weight rows against V activation vectors at a time
// (V = 1..4), so each weight vector loaded is used for V sequences (the
// batched decode of a server). Every (row, vector) pair has one 8-lane
// accumulator, summed over the columns in order, and the same horizontal
// sum tree (VHADDPS of four accumulators, each result lane depending only
// on its own accumulator), so a vector's result is the same bits in every
// variant and position (batch invariance). y gets row q of vector v at
// y[v·multiStride+q]; rows are lda floats apart (lda 0 repeats one row:
// the P results go to y[v·multiStride+q .. +P-1]);
// n is a multiple of 8.
func sgemvMultiKernel() {
	for V := 1; V <= 4; V++ {
		P := multiRows(V)
		name := fmt.Sprintf("sgemvMulti%dAsm", V)
		TEXT(name, NOSPLIT, "func(y *float32, a *float32, lda int, xs *[8]*float32, passes, n int)")
		Pragma("noescape")
		y := Load(Param("y"), GP64())
		a := Load(Param("a"), GP64())
		lda := Load(Param("lda"), GP64())
		SHLQ(U8(2), lda)
		xsp := Load(Param("xs"), GP64())
		xs := make([]reg.Register, V)
		for v := range xs {
			xs[v] = GP64()
			MOVQ(Mem{Base: xsp, Disp: 8 * v}, xs[v])
		}
		passes := Load(Param("passes"), GP64())
		n := Load(Param("n"), GP64())
		Label(name + "_rows")
		TESTQ(passes, passes)
		JZ(LabelRef(name + "_end"))
		rows := rowPointers(a, lda, P)
		acc := zeroAccs(P, V, YMM)
		i := GP64()
		XORQ(i, i)
		Label(name + "_cols")
		CMPQ(i, n)
		JAE(LabelRef(name + "_sum"))
		if V == 1 {
			xv := YMM()
			VMOVUPS(at(xs[0], i, 0), xv)
			for q := range rows {
				VFMADD231PS(at(rows[q], i, 0), xv, acc[q][0])
			}
		} else {
			w := make([]reg.VecVirtual, P)
			for q := range w {
				w[q] = YMM()
				VMOVUPS(at(rows[q], i, 0), w[q])
			}
			for v := 0; v < V; v++ {
				xv := YMM()
				VMOVUPS(at(xs[v], i, 0), xv)
				for q := range w {
					VFMADD231PS(w[q], xv, acc[q][v])
				}
			}
		}
		ADDQ(U8(8), i)
		JMP(LabelRef(name + "_cols"))
		Label(name + "_sum")
		storeSums(y, acc, func(src [4]reg.VecVirtual) reg.VecVirtual {
			t0, t1 := YMM(), YMM()
			VHADDPS(src[1], src[0], t0)
			VHADDPS(src[3], src[2], t1)
			VHADDPS(t1, t0, t0)
			hi := XMM()
			VEXTRACTF128(U8(1), t0, hi)
			VADDPS(hi, t0.AsX(), hi)
			return hi
		})
		ADDQ(U8(4*P), y)
		LEAQ(Mem{Base: rows[P-1], Index: lda, Scale: 1}, a)
		DECQ(passes)
		JMP(LabelRef(name + "_rows"))
		Label(name + "_end")
		VZEROUPPER()
		RET()
	}
}

// multiRows is how many weight rows sgemvMulti{V}Asm takes per pass: enough
// accumulators to hide the FMA latency within 16 vector registers
// (kernel.multiRows must be the same).
// unpackQ4_0 loads the 16 nibble bytes of a Q4_0 block at src into dst
// as 32 bytes in element order (low nibbles are elements 0–15, high ones
// 16–31), mask holding 0x0f in every byte.
func unpackQ4_0(src Mem, mask Op, dst reg.VecVirtual) {
	raw := XMM()
	VMOVDQU(src, raw)
	hi := XMM()
	VPSRLW(U8(4), raw, hi)
	VINSERTI128(U8(1), hi, raw.AsY(), dst)
	VPAND(mask, dst, dst)
}

// rowPointers returns P registers pointing at rows a, a+lda, a+2·lda, …
func rowPointers(a, lda reg.Register, P int) []reg.Register {
	rows := []reg.Register{a}
	for q := 1; q < P; q++ {
		r := GP64()
		LEAQ(Mem{Base: rows[q-1], Index: lda, Scale: 1}, r)
		rows = append(rows, r)
	}
	return rows
}

// zeroAccs returns P×V zeroed accumulators made by vec (YMM or ZMM).
func zeroAccs(P, V int, vec func() reg.VecVirtual) [][]reg.VecVirtual {
	acc := make([][]reg.VecVirtual, P)
	for q := range acc {
		acc[q] = make([]reg.VecVirtual, V)
		for v := range acc[q] {
			acc[q][v] = vec()
			VXORPS(acc[q][v], acc[q][v], acc[q][v])
		}
	}
	return acc
}

func multiRows(V int) int {
	if V <= 2 {
		return 4
	}
	return 3
}

// multiStride is the distance in floats between the output vectors of the
// sgemvMulti kernels (kernel.multiStride must be the same).
const multiStride = 68

// gemmKernel emits the AVX2 MR×NR micro-kernels (gemmKernelVec with
// 8-lane YMM registers): 12 of the 16 YMM registers hold the 6×16 tile.
func gemmKernel() {
	gemmKernelVec("gemmKernelAsm", 6, 16, 8, 0)
	gemmKernelVecSet("gemmKernelSetAsm", 6, 16, 8, 0)
	gemmKernelVec("gemmKernel4x24Asm", 4, 24, 8, 0)
}

// gemvQ8Prefetch is how far ahead (bytes) gemvQ8Asm prefetches its row:
// 1024 measured 15–20% faster than none and than 512, 2048 another 10–20%
// faster than 1024 (4096: no better), interleaved A/B in CPU time. The
// one-row Q4_0 kernels for Q8_0 activations and the four-row kernels
// showed no consistent gain from prefetching (the F16 one lost), so they
// emit none.
const gemvQ8Prefetch = 2048

// quantKernels: y[r] = Σ_blocks d·Σ_j q[j]·x[j] with float32 x.
func quantKernels() {
	for _, q4 := range []bool{false} { // Q4_0: see gemvQ4SumKernel
		name, bs := "gemvQ8Asm", 34
		if q4 {
			name, bs = "gemvQ4Asm", 18
		}
		TEXT(name, NOSPLIT, "func(y []float32, w []byte, x []float32)")
		Pragma("noescape")
		y, w, x := base("y"), base("w"), base("x")
		m := length("y")
		n := length("x")
		nb := GP64()
		MOVQ(n, nb)
		SHRQ(U8(5), nb) // blocks per row
		r := GP64()
		XORQ(r, r)
		var mask reg.VecVirtual
		if q4 {
			mask = XMM()
			VMOVDQU(cmem16b("nib15", 0x0f), mask)
		}
		Label(name + "_row")
		CMPQ(r, m)
		JAE(LabelRef(name + "_end"))
		acc := zeros(2)
		xp := GP64()
		MOVQ(x, xp)
		blk := GP64()
		XORQ(blk, blk)
		one := func(k int) {
			// One row stream: the hardware prefetcher alone leaves it
			// 25–40% short (measured, 4096×4096 on 2 threads).
			PREFETCHT0(Mem{Base: w, Disp: gemvQ8Prefetch})
			// scale
			h := GP32()
			MOVWLZX(Mem{Base: w}, h)
			dx := XMM()
			VMOVD(h, dx)
			VCVTPH2PS(dx, dx)
			d := YMM()
			VBROADCASTSS(dx, d)
			s := YMM()
			if !q4 {
				for g := 0; g < 4; g++ {
					v := YMM()
					VPMOVSXBD(Mem{Base: w, Disp: 2 + 8*g}, v)
					VCVTDQ2PS(v, v)
					if g == 0 {
						VMULPS(Mem{Base: xp}, v, s)
					} else {
						VFMADD231PS(Mem{Base: xp, Disp: 32 * g}, v, s)
					}
				}
			} else {
				raw := XMM()
				VMOVDQU(Mem{Base: w, Disp: 2}, raw)
				lo, hi := XMM(), XMM()
				VPAND(mask, raw, lo)
				VPSRLW(U8(4), raw, hi)
				VPAND(mask, hi, hi)
				VPSUBB(cmem16b("eight", 8), lo, lo)
				VPSUBB(cmem16b("eight", 8), hi, hi)
				for g := 0; g < 4; g++ {
					src := lo
					if g >= 2 {
						src = hi
					}
					if g%2 == 1 {
						t := XMM()
						VPSHUFD(U8(0xEE), src, t)
						src = t
					}
					v := YMM()
					VPMOVSXBD(src, v)
					VCVTDQ2PS(v, v)
					if g == 0 {
						VMULPS(Mem{Base: xp}, v, s)
					} else {
						VFMADD231PS(Mem{Base: xp, Disp: 32 * g}, v, s)
					}
				}
			}
			VFMADD231PS(s, d, acc[k])
			ADDQ(U32(bs), w)
			ADDQ(U32(128), xp)
		}
		// One accumulator for both blocks: the float sums then round as
		// llama.cpp's (one FMA chain per row, 4-byte groups per lane).
		blockPairs(name, blk, nb, func(int) { one(0) })
		s := hsum(sumAccs(acc))
		VMOVSS(s, Mem{Base: y, Index: r, Scale: 4})
		INCQ(r)
		JMP(LabelRef(name + "_row"))
		Label(name + "_end")
		VZEROUPPER()
		RET()
	}
}

// cmemBytes returns a 32-byte constant filled with the byte v.
func cmemBytes(name string, v uint8) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for k := 0; k < 32; k++ {
		DATA(k, U8(v))
	}
	expConstMem[name] = m
	return m
}

func cmemWords(name string, v uint16) Mem {
	if m, ok := expConstMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for k := 0; k < 16; k++ {
		DATA(2*k, U16(v))
	}
	expConstMem[name] = m
	return m
}

// gemvQ4SumKernel: Q4_0 rows against float32 x, one row at a time (a
// four-row version sharing the x loads measured slower on 4096×4096, 2
// threads; prefetching 2 KiB ahead 7–19% faster, 512 or 1024 no faster),
// using Σ(q−8)·x = Σq·x − 8·Σx: sx[b] holds Σ of block b of x (the same for every row), so the
// nibbles are used unsigned straight from VPMOVZXBD (low nibble: AND 15,
// high nibble: shift right 4) with no per-weight subtraction.
func gemvQ4SumKernel() {
	name := "gemvQ4SumAsm"
	TEXT(name, NOSPLIT, "func(y []float32, w []byte, x, sx []float32)")
	Pragma("noescape")
	y, w, x, sx := base("y"), base("w"), base("x"), base("sx")
	m := length("y")
	nb := length("sx")
	mask := YMM()
	VMOVDQU(cmem8i("dw15", 15), mask)
	r := GP64()
	XORQ(r, r)
	Label(name + "_row")
	CMPQ(r, m)
	JAE(LabelRef(name + "_end"))
	acc := zeros(2)
	xp, sp := GP64(), GP64()
	MOVQ(x, xp)
	MOVQ(sx, sp)
	blk := GP64()
	XORQ(blk, blk)
	one := func(k int) {
		PREFETCHT0(Mem{Base: w, Disp: gemvQ8Prefetch}) // +7–19%, as for Q8_0
		h := GP32()
		MOVWLZX(Mem{Base: w}, h)
		dx := XMM()
		VMOVD(h, dx)
		VCVTPH2PS(dx, dx)
		d := YMM()
		VBROADCASTSS(dx, d)
		z0, z1 := YMM(), YMM()
		VPMOVZXBD(Mem{Base: w, Disp: 2}, z0)  // bytes 0..7
		VPMOVZXBD(Mem{Base: w, Disp: 10}, z1) // bytes 8..15
		h0, h1 := YMM(), YMM()
		VPSRLD(U8(4), z0, h0) // elements 16..23
		VPSRLD(U8(4), z1, h1) // elements 24..31
		VPAND(mask, z0, z0)   // elements 0..7
		VPAND(mask, z1, z1)   // elements 8..15
		s := YMM()
		for g, v := range []reg.VecVirtual{z0, z1, h0, h1} {
			VCVTDQ2PS(v, v)
			if g == 0 {
				VMULPS(Mem{Base: xp}, v, s)
			} else {
				VFMADD231PS(Mem{Base: xp, Disp: 32 * g}, v, s)
			}
		}
		// s·d − 8·sx[b]·d: fold the −8·sx[b] into lane 0 of s.
		t := XMM()
		VMOVSS(Mem{Base: sp}, t)
		VMULSS(cmem("minus8", -8), t, t)
		VADDPS(t.AsY(), s, s)
		VFMADD231PS(s, d, acc[k])
		ADDQ(U32(18), w)
		ADDQ(U32(128), xp)
		ADDQ(U32(4), sp)
	}
	blockPairs(name, blk, nb, one)
	sum := hsum(sumAccs(acc))
	VMOVSS(sum, Mem{Base: y, Index: r, Scale: 4})
	INCQ(r)
	JMP(LabelRef(name + "_row"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// quantQ8Kernels: y[r] = Σ_blocks (d_w·xd[b])·Σ_j qw[j]·qx[j], the integer
// dot of a Q8_0 or Q4_0 weight row with Q8_0 activations (ggml's
// vec_dot_q8_0_q8_0 / vec_dot_q4_0_q8_0). The sign of qx is moved onto qw
// (VPSIGNB) so VPMADDUBSW can multiply unsigned |qx| by signed qw.
func quantQ8Kernels() {
	for _, q4 := range []bool{false, true} {
		name, bs := "gemvQ8Q8Asm", 34
		if q4 {
			name, bs = "gemvQ4Q8Asm", 18
		}
		sig := "func(y []float32, w, xq []byte, xd []float32)"
		if q4 {
			// xs[8b+i] = 8·Σ qx[4i..4i+3] of block b, one per lane: lane i
			// holds Σq·qx − xs[8b+i] = Σ(q−8)·qx over its 4 bytes, exactly
			// the integers of the signed method, while the nibbles stay
			// unsigned and VPMADDUBSW takes them directly.
			sig = "func(y []float32, w, xq []byte, xd []float32, xs []int32)"
		}
		TEXT(name, NOSPLIT, sig)
		Pragma("noescape")
		y, w, xq, xd := base("y"), base("w"), base("xq"), base("xd")
		var xs, sp reg.Register
		if q4 {
			xs = base("xs")
		}
		m := length("y")
		nb := length("xd")
		r := GP64()
		XORQ(r, r)
		Label(name + "_row")
		CMPQ(r, m)
		JAE(LabelRef(name + "_end"))
		acc := zeros(1)
		xp, dp := GP64(), GP64()
		MOVQ(xq, xp)
		MOVQ(xd, dp)
		if q4 {
			sp = GP64()
			MOVQ(xs, sp)
		}
		blk := GP64()
		XORQ(blk, blk)
		one := func(k int) {
			qx := YMM()
			VMOVDQU(Mem{Base: xp, Disp: 2}, qx)
			qw := YMM()
			if q4 {
				unpackQ4_0(Mem{Base: w, Disp: 2}, cmemBytes("nib15x32", 0x0f), qw)
			} else {
				VMOVDQU(Mem{Base: w, Disp: 2}, qw)
			}
			ax := YMM()
			if q4 {
				// unsigned nibbles × signed qx, then − 8·Σqx lane by lane
				VPMADDUBSW(qx, qw, ax)
				VPMADDWD(cmemWords("ones16", 1), ax, ax)
				VPSUBD(Mem{Base: sp}, ax, ax)
			} else {
				VPSIGNB(qx, qx, ax)
				VPSIGNB(qx, qw, qw)
				VPMADDUBSW(qw, ax, ax)
				VPMADDWD(cmemWords("ones16", 1), ax, ax)
			}
			VCVTDQ2PS(ax, ax)
			h := GP32()
			MOVWLZX(Mem{Base: w}, h)
			dx := XMM()
			VMOVD(h, dx)
			VCVTPH2PS(dx, dx)
			VMULSS(Mem{Base: dp}, dx, dx)
			d := YMM()
			VBROADCASTSS(dx, d)
			VFMADD231PS(ax, d, acc[k])
			ADDQ(U32(bs), w)
			ADDQ(U32(34), xp)
			ADDQ(U32(4), dp)
			if q4 {
				ADDQ(U32(32), sp)
			}
		}
		// One accumulator for both blocks: the float sums then round as
		// llama.cpp's (one FMA chain per row, 4-byte groups per lane).
		blockPairs(name, blk, nb, func(int) { one(0) })
		s := hsum(sumAccs(acc))
		VMOVSS(s, Mem{Base: y, Index: r, Scale: 4})
		INCQ(r)
		JMP(LabelRef(name + "_row"))
		Label(name + "_end")
		VZEROUPPER()
		RET()
	}
}

// halfDotKernels: Σ w[j]·x[j] with w in binary16 (VCVTPH2PS) or bfloat16
// (zero-extend to 32 bits and shift into the high half).
func halfDotKernels() {
	for _, bf := range []bool{false, true} {
		name := "dotF16Asm"
		if bf {
			name = "dotBF16Asm"
		}
		TEXT(name, NOSPLIT, "func(w []uint16, x []float32) float32")
		Pragma("noescape")
		acc := zeros(4)
		w, x := base("w"), base("x")
		n := length("w")
		vloop(name, n, 4, func(i reg.Register, k int) {
			v := YMM()
			src := Mem{Base: w, Index: i, Scale: 2, Disp: 16 * k}
			if bf {
				VPMOVZXWD(src, v)
				VPSLLD(U8(16), v, v)
			} else {
				VCVTPH2PS(src, v)
			}
			VFMADD231PS(at(x, i, k), v, acc[k])
		})
		s := hsum(sumAccs(acc))
		VZEROUPPER()
		Store(s, ReturnIndex(0))
		RET()
	}
}

func halfKernels() {
	TEXT("f16ToF32Asm", NOSPLIT, "func(dst []float32, src []uint16)")
	Pragma("noescape")
	{
		d, s := base("dst"), base("src")
		n := length("dst")
		vloop("f16ToF32Asm", n, 4, func(i reg.Register, k int) {
			v := YMM()
			VCVTPH2PS(Mem{Base: s, Index: i, Scale: 2, Disp: 16 * k}, v)
			VMOVUPS(v, at(d, i, k))
		})
		VZEROUPPER()
		RET()
	}
	TEXT("f32ToF16Asm", NOSPLIT, "func(dst []uint16, src []float32)")
	Pragma("noescape")
	{
		d, s := base("dst"), base("src")
		n := length("dst")
		vloop("f32ToF16Asm", n, 4, func(i reg.Register, k int) {
			v := YMM()
			VMOVUPS(at(s, i, k), v)
			VCVTPS2PH(U8(0), v, Mem{Base: d, Index: i, Scale: 2, Disp: 16 * k})
		})
		VZEROUPPER()
		RET()
	}
}

// quantQ8x4Kernels: four Q8_0 weight rows at a time against Q8_0
// activations. The activation block is loaded and its |qx| taken once for
// the four rows; each row's 8 int32 lane sums are folded with three VPHADDD
// into one vector whose lane k (and k+4) belongs to row k, so the
// int→float conversion, the scale product and the FMA are done once per
// block for all four rows. The four f16 weight scales are gathered in a
// general register and converted together. len(y) must be a multiple of 4.
// (The same kernel for Q4_0 weights, with the nibbles split by
// VBROADCASTI128+VPSRLVQ, was faster in cache but 15–35% slower than the
// one-row gemvQ4Q8Asm on 4096×4096 from memory, so it is not generated.)
// q8x4Prefetch is how far ahead (bytes) the four-row kernel prefetches
// each row; 0 emits none. 1024 gave no consistent gain (interleaved A/B
// under load 7–8): left to the hardware prefetcher, like sgemv.
var q8x4Prefetch = 0

func quantQ8x4Kernels() {
	for _, q4 := range []bool{false} {
		name, bs := "gemvQ8Q8x4Asm", 34
		sig := "func(y []float32, w, xq []byte, xd []float32)"
		if q4 {
			// xs[16b+8..16b+15] = [8Σqx ×4, 0 ×4] of block b.
			name, bs = "gemvQ4Q8x4Asm", 18
			sig = "func(y []float32, w, xq []byte, xd []float32, xs []int32)"
		}
		TEXT(name, NOSPLIT, sig)
		Pragma("noescape")
		y, w := base("y"), base("w")
		m := length("y")
		nb := length("xd")
		rb := GP64()
		IMUL3Q(U32(bs), nb, rb) // bytes per row
		ones := YMM()
		VMOVDQU(cmemWords("ones16", 1), ones)
		var mask, cnt reg.VecVirtual
		if q4 {
			mask, cnt = YMM(), YMM()
			VMOVDQU(cmemBytes("nib15x32", 0x0f), mask)
			VMOVDQU(cmemIdx("srl0044", []uint32{0, 0, 0, 0, 4, 0, 4, 0}), cnt)
		}
		yend := GP64()
		LEAQ(Mem{Base: y, Index: m, Scale: 4}, yend)
		Label(name + "_row")
		CMPQ(y, yend)
		JAE(LabelRef(name + "_end"))
		// rows w, p1 = w+rb, w+2rb, p1+2rb; both pointers advance by a
		// block, wend is the end of row 0.
		p1, wend := GP64(), GP64()
		LEAQ(Mem{Base: w, Index: rb, Scale: 1}, p1)
		MOVQ(p1, wend)
		rows := []Mem{{Base: w}, {Base: p1}, {Base: w, Index: rb, Scale: 2}, {Base: p1, Index: rb, Scale: 2}}
		xqp, xdp := base("xq"), base("xd")
		var xsp reg.Register
		if q4 {
			xsp = base("xs")
		}
		acc := zeros(1)[0]
		Label(name + "_blk")
		CMPQ(w, wend)
		JAE(LabelRef(name + "_rowdone"))
		if q8x4Prefetch > 0 {
			for k := 0; k < 4; k++ {
				PREFETCHT0(rows[k].Offset(q8x4Prefetch))
			}
		}
		qx := YMM()
		VMOVDQU(Mem{Base: xqp, Disp: 2}, qx)
		var ax reg.VecVirtual
		if !q4 {
			ax = YMM()
			VPSIGNB(qx, qx, ax)
		}
		t := make([]reg.VecVirtual, 4)
		for k := 0; k < 4; k++ {
			t[k] = YMM()
			if q4 {
				VBROADCASTI128(rows[k].Offset(2), t[k])
				VPSRLVQ(cnt, t[k], t[k])
				VPAND(mask, t[k], t[k])
				VPMADDUBSW(qx, t[k], t[k])
			} else {
				VMOVDQU(rows[k].Offset(2), t[k])
				VPSIGNB(qx, t[k], t[k])
				VPMADDUBSW(t[k], ax, t[k])
			}
			VPMADDWD(ones, t[k], t[k])
		}
		VPHADDD(t[1], t[0], t[0])
		VPHADDD(t[3], t[2], t[2])
		VPHADDD(t[2], t[0], t[0])
		if q4 {
			VPSUBD(Mem{Base: xsp, Disp: 32}, t[0], t[0])
		}
		// The four binary16 row scales, assembled in a general register
		// (VPINSRW from memory was slower), duplicated into both halves.
		g := GP64()
		MOVWQZX(rows[0], g)
		for k := 1; k < 4; k++ {
			h := GP64()
			MOVWQZX(rows[k], h)
			SHLQ(U8(16*k), h)
			ORQ(h, g)
		}
		sc := XMM()
		VMOVQ(g, sc)
		VPUNPCKLQDQ(sc, sc, sc)
		d := YMM()
		VCVTPH2PS(sc, d)
		bx := YMM()
		VBROADCASTSS(Mem{Base: xdp}, bx)
		VMULPS(bx, d, d)
		VCVTDQ2PS(t[0], t[0])
		VFMADD231PS(t[0], d, acc)
		ADDQ(U32(bs), w)
		ADDQ(U32(bs), p1)
		ADDQ(U32(34), xqp)
		ADDQ(U32(4), xdp)
		if q4 {
			ADDQ(U32(64), xsp)
		}
		JMP(LabelRef(name + "_blk"))
		Label(name + "_rowdone")
		hi := XMM()
		VEXTRACTF128(U8(1), acc, hi)
		VADDPS(hi, acc.AsX(), hi)
		VMOVUPS(hi, Mem{Base: y})
		ADDQ(U8(16), y)
		// w is at the end of row 0: skip rows 1..3.
		LEAQ(Mem{Base: w, Index: rb, Scale: 2}, w)
		ADDQ(rb, w)
		JMP(LabelRef(name + "_row"))
		Label(name + "_end")
		VZEROUPPER()
		RET()
	}
}

// halfGemvKernels: four rows of binary16 (VCVTPH2PS) or bfloat16 weights
// at a time against float32 x, like sgemv4Asm: each x vector is loaded once
// for the four rows and four row streams are in flight. len(y) must be a
// multiple of 4, len(x) of 8; ldw is the row stride in elements.
func halfGemvKernels() {
	for _, bf := range []bool{false, true} {
		name := "gemvF16x4Asm"
		if bf {
			name = "gemvBF16x4Asm"
		}
		TEXT(name, NOSPLIT, "func(y []float32, w []uint16, x []float32, ldw int)")
		Pragma("noescape")
		y, w, x := base("y"), base("w"), base("x")
		m := length("y")
		n := length("x")
		ldw := Load(Param("ldw"), GP64())
		SHLQ(U8(1), ldw) // bytes per row
		yend := GP64()
		LEAQ(Mem{Base: y, Index: m, Scale: 4}, yend)
		Label(name + "_rows")
		CMPQ(y, yend)
		JAE(LabelRef(name + "_end"))
		p1 := GP64()
		LEAQ(Mem{Base: w, Index: ldw, Scale: 1}, p1)
		acc := make([][2]reg.VecVirtual, 4)
		for k := range acc {
			acc[k][0], acc[k][1] = YMM(), YMM()
			VXORPS(acc[k][0], acc[k][0], acc[k][0])
			VXORPS(acc[k][1], acc[k][1], acc[k][1])
		}
		p2, p3 := GP64(), GP64()
		LEAQ(Mem{Base: w, Index: ldw, Scale: 2}, p2)
		LEAQ(Mem{Base: p1, Index: ldw, Scale: 2}, p3)
		bases := []reg.Register{w, p1, p2, p3}
		vloop(name+"_cols", n, 2, func(i reg.Register, k int) {
			xv := YMM()
			VMOVUPS(at(x, i, k), xv)
			for q := 0; q < 4; q++ {
				v := YMM()
				src := Mem{Base: bases[q], Index: i, Scale: 2, Disp: 16 * k}
				if bf {
					VPMOVZXWD(src, v)
					VPSLLD(U8(16), v, v)
				} else {
					VCVTPH2PS(src, v)
				}
				VFMADD231PS(v, xv, acc[q][k])
			}
		})
		for q := 0; q < 4; q++ {
			VADDPS(acc[q][1], acc[q][0], acc[q][0])
		}
		t0, t1 := acc[0][1], acc[2][1]
		VHADDPS(acc[1][0], acc[0][0], t0)
		VHADDPS(acc[3][0], acc[2][0], t1)
		VHADDPS(t1, t0, t0)
		hi := XMM()
		VEXTRACTF128(U8(1), t0, hi)
		VADDPS(hi, t0.AsX(), hi)
		VMOVUPS(hi, Mem{Base: y})
		ADDQ(U8(16), y)
		LEAQ(Mem{Base: w, Index: ldw, Scale: 4}, w)
		JMP(LabelRef(name + "_rows"))
		Label(name + "_end")
		VZEROUPPER()
		RET()
	}
}
