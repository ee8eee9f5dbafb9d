package norm

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestArithMatchesC compares ArithGGML and ArithLlama2C bit for bit with
// testdata/rmsnorm_ref.c, a C transcription of ggml's and llama2.c's
// float32 arithmetic (outputs in testdata/c_ref.json).
func TestArithMatchesC(t *testing.T) {
	b, err := os.ReadFile("testdata/c_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Mode    string
			N       int
			Eps     uint32
			X, W, Y []uint32
		}
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 40 {
		t.Fatalf("only %d cases", len(ref.Cases))
	}
	floats := func(u []uint32) []float32 {
		if u == nil {
			return nil
		}
		f := make([]float32, len(u))
		for i, v := range u {
			f[i] = math.Float32frombits(v)
		}
		return f
	}
	differ := map[string]int{}
	for ci, c := range ref.Cases {
		arith := map[string]Arith{"ggml": ArithGGML, "llama2c": ArithLlama2C}[c.Mode]
		n := &RMSNorm{Dim: c.N, Weight: floats(c.W), Eps: float64(math.Float32frombits(c.Eps)), Arith: arith}
		x := floats(c.X)
		y := make([]float32, c.N)
		if err := n.Forward(y, x, nil); err != nil {
			t.Fatal(err)
		}
		exact := make([]float32, c.N)
		n.Arith = ArithExact
		if err := n.Forward(exact, x, nil); err != nil {
			t.Fatal(err)
		}
		for i := range y {
			if math.Float32bits(y[i]) != c.Y[i] {
				t.Fatalf("case %d (%s, n=%d) y[%d] = %g (%#x), C gives %g (%#x)", ci, c.Mode, c.N, i,
					y[i], math.Float32bits(y[i]), math.Float32frombits(c.Y[i]), c.Y[i])
			}
			if y[i] != exact[i] {
				differ[c.Mode]++
			}
			// The float32 orderings stay within a few ulps of the exact value.
			if !within(float64(y[i]), float64(exact[i]), 1e-6) {
				t.Errorf("case %d (%s): y[%d] = %g, exact %g", ci, c.Mode, i, y[i], exact[i])
			}
		}
	}
	t.Logf("outputs differing from ArithExact in the last bits: %v", differ)
}

func TestArithValidate(t *testing.T) {
	for _, n := range []*RMSNorm{
		{Dim: 4, Arith: ArithGGML, EpsOutside: true},
		{Dim: 4, Arith: Arith(7)},
		{Dim: 4, Arith: ArithLlama2C, Eps: 1e300},
	} {
		if err := n.Validate(); err == nil {
			t.Errorf("%+v validated", n)
		}
	}
	// A zero row gives zeros, not the NaN of the C code.
	for _, a := range []Arith{ArithGGML, ArithLlama2C} {
		y := []float32{1, 1, 1}
		if err := (&RMSNorm{Dim: 3, Arith: a}).Forward(y, []float32{0, 0, 0}, nil); err != nil || y[0] != 0 || y[2] != 0 {
			t.Errorf("Arith %d zero row: %v %v", a, y, err)
		}
	}
}
