package posenc

import (
	"math"
	"testing"
)

func mustInv(t *testing.T, js string, seqLen int) ([]float64, float64) {
	t.Helper()
	c, err := ParseHFConfig([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	f, a, err := c.InvFreq(seqLen)
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return f, a
}

func sameFreqs(t *testing.T, what string, a, b []float64, attnA, attnB float64) {
	t.Helper()
	if len(a) != len(b) || attnA != attnB {
		t.Fatalf("%s: %d/%d freqs, attention %v vs %v", what, len(a), len(b), attnA, attnB)
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-15*a[i] {
			t.Fatalf("%s: pair %d %v vs %v", what, i, a[i], b[i])
		}
	}
}

func TestHFYarnFactorFromContext(t *testing.T) {
	// v5: no factor, ratio of contexts (163840/4096 = 40) used instead.
	a, aa := mustInv(t, `{"head_dim":64,"max_position_embeddings":163840,"rope_scaling":{"rope_type":"yarn","original_max_position_embeddings":4096}}`, 0)
	b, ba := mustInv(t, `{"head_dim":64,"max_position_embeddings":163840,"rope_scaling":{"rope_type":"yarn","factor":40,"original_max_position_embeddings":4096}}`, 0)
	sameFreqs(t, "yarn", a, b, aa, ba)
	// 4.5x: a stated factor is replaced by the ratio (here 40, not 10).
	c, ca := mustInv(t, `{"head_dim":64,"max_position_embeddings":163840,"rope_scaling":{"rope_type":"yarn","factor":10,"original_max_position_embeddings":4096}}`, 0)
	sameFreqs(t, "yarn ratio", a, c, aa, ca)
	// and the correction range uses the original context: with max
	// 4096 and factor 40 the range is the same as above.
	d, da := mustInv(t, `{"head_dim":64,"max_position_embeddings":4096,"rope_scaling":{"rope_type":"yarn","factor":40}}`, 0)
	sameFreqs(t, "yarn range", a, d, aa, da)
	if want := 0.1*math.Log(40) + 1; math.Abs(aa-want) > 1e-15 {
		t.Errorf("attention %v, want %v", aa, want)
	}
}

func TestHFLongRoPEContexts(t *testing.T) {
	const sf, lf = `[1,2]`, `[4,8]`
	base := func(extra string) string {
		return `{"head_dim":4,"rope_theta":100,"max_position_embeddings":64` + extra +
			`,"rope_scaling":{"rope_type":"longrope","short_factor":` + sf + `,"long_factor":` + lf
	}
	// Top-level original context (Phi-3): factor = 64/16 = 4.
	f, a := mustInv(t, base(`,"original_max_position_embeddings":16`)+`}}`, 17)
	sameFreqs(t, "top-level long", f, []float64{1.0 / 4, 1.0 / 80}, a, math.Sqrt(1+math.Log(4)/math.Log(16)))
	f, _ = mustInv(t, base(`,"original_max_position_embeddings":16`)+`}}`, 16)
	sameFreqs(t, "top-level short", f, []float64{1, 1.0 / 20}, 0, 0)
	// Original context inside rope_scaling (v5), factor from the ratio.
	f, a = mustInv(t, base("")+`,"original_max_position_embeddings":16}}`, 17)
	sameFreqs(t, "inner long", f, []float64{1.0 / 4, 1.0 / 80}, a, math.Sqrt(1+math.Log(4)/math.Log(16)))
	// No original context: max_position_embeddings is the threshold.
	f, a = mustInv(t, base("")+`,"factor":2}}`, 64)
	sameFreqs(t, "no original short", f, []float64{1, 1.0 / 20}, a, math.Sqrt(1+math.Log(2)/math.Log(64)))
	f, _ = mustInv(t, base("")+`,"factor":2}}`, 65)
	sameFreqs(t, "no original long", f, []float64{1.0 / 4, 1.0 / 80}, 0, 0)
	// factor ≤ 1 gives attention 1; explicit attention_factor wins.
	_, a = mustInv(t, base("")+`,"factor":1}}`, 0)
	_, b := mustInv(t, base("")+`,"factor":9,"attention_factor":0.5}}`, 0)
	if a != 1 || b != 0.5 {
		t.Errorf("attention factors %v %v, want 1 and 0.5", a, b)
	}
}

func TestHFDynamic(t *testing.T) {
	// Below the trained context the base is unchanged; above it grows as
	// (f·L/L₀ − (f − 1))^(d/(d−2)).
	js := `{"head_dim":6,"rope_theta":100,"max_position_embeddings":10,"rope_scaling":{"rope_type":"dynamic","factor":3}}`
	f, _ := mustInv(t, js, 5)
	sameFreqs(t, "short", f, []float64{1, math.Pow(100, -1.0/3), math.Pow(100, -2.0/3)}, 0, 0)
	f, _ = mustInv(t, js, 20)
	b := 100 * math.Pow(3*20.0/10-2, 6.0/4)
	sameFreqs(t, "long", f, []float64{1, math.Pow(b, -1.0/3), math.Pow(b, -2.0/3)}, 0, 0)
}

func TestHFRopeParametersV5(t *testing.T) {
	a, _ := mustInv(t, `{"head_dim":8,"rope_parameters":{"rope_type":"linear","factor":2,"rope_theta":100}}`, 0)
	b, _ := mustInv(t, `{"head_dim":8,"rope_theta":100,"rope_scaling":{"type":"linear","factor":2}}`, 0)
	sameFreqs(t, "v5", a, b, 0, 0)
}
