package posenc

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// alibiGolden is testdata/alibi.json, written by gen_alibi.py (plain Python
// float64, Hugging Face's build_alibi_tensor and ggml's max_bias form
// re-written independently of this package).
type alibiGolden struct {
	HF []struct {
		Heads  int         `json:"heads"`
		Slopes []float64   `json:"slopes"`
		SeqLen int         `json:"seq_len"`
		Alibi  [][]float64 `json:"alibi"`
	} `json:"hf"`
	GGML []struct {
		Heads   int       `json:"heads"`
		MaxBias float64   `json:"max_bias"`
		Slopes  []float64 `json:"slopes"`
	} `json:"ggml"`
	Attn []struct {
		Heads  int       `json:"heads"`
		SeqLen int       `json:"seq_len"`
		Scores []float64 `json:"scores"`
		Probs  []float64 `json:"probs"`
	} `json:"attn"`
}

func loadAlibiGolden(t *testing.T) *alibiGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/alibi.json")
	if err != nil {
		t.Fatal(err)
	}
	var g alibiGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.HF) == 0 || len(g.GGML) == 0 || len(g.Attn) == 0 {
		t.Fatal("alibi golden file has an empty section")
	}
	return &g
}

func closeRel(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

func TestALiBiSlopesGolden(t *testing.T) {
	g := loadAlibiGolden(t)
	for _, c := range g.HF {
		a, err := NewALiBi(c.Heads, DefaultALiBiMaxBias)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Slopes) != len(c.Slopes) {
			t.Fatalf("H=%d: %d slopes, want %d", c.Heads, len(a.Slopes), len(c.Slopes))
		}
		for h, want := range c.Slopes {
			if !closeRel(a.Slopes[h], want, 1e-13) { // HF raises a rounded base to the power h
				t.Errorf("H=%d head %d: slope %v, HF %v", c.Heads, h, a.Slopes[h], want)
			}
			// HF's bias is m_h·j; ours is m_h·(j−i): equal up to m_h·i per row.
			for i := 0; i < c.SeqLen; i++ {
				for j := 0; j < c.SeqLen; j++ {
					got := a.Bias(h, i, j) + a.Slopes[h]*float64(i)
					if !closeRel(got, c.Alibi[h][j], 1e-13) && math.Abs(got-c.Alibi[h][j]) > 1e-15 {
						t.Errorf("H=%d head %d (%d,%d): bias+m·i %v, HF %v", c.Heads, h, i, j, got, c.Alibi[h][j])
					}
				}
			}
		}
	}
	for _, c := range g.GGML {
		m, err := ALiBiSlopes(c.Heads, c.MaxBias)
		if err != nil {
			t.Fatal(err)
		}
		for h, want := range c.Slopes {
			if !closeRel(m[h], want, 1e-13) {
				t.Errorf("H=%d max_bias %v head %d: slope %v, ggml form %v", c.Heads, c.MaxBias, h, m[h], want)
			}
		}
	}
}

// TestALiBiAttentionGolden checks that scores + m_h·(j−i) under a causal
// softmax give Hugging Face's probabilities (scores + m_h·j).
func TestALiBiAttentionGolden(t *testing.T) {
	g := loadAlibiGolden(t)
	for _, c := range g.Attn {
		a, err := NewALiBi(c.Heads, DefaultALiBiMaxBias)
		if err != nil {
			t.Fatal(err)
		}
		L := c.SeqLen
		worst := 0.0
		for h := 0; h < c.Heads; h++ {
			for i := 0; i < L; i++ {
				row := make([]float32, i+1)
				for j := range row {
					row[j] = float32(c.Scores[(h*L+i)*L+j])
				}
				if err := a.AddBias(row, h, i, 0); err != nil {
					t.Fatal(err)
				}
				mx := math.Inf(-1)
				for _, v := range row {
					mx = math.Max(mx, float64(v))
				}
				z := 0.0
				for _, v := range row {
					z += math.Exp(float64(v) - mx)
				}
				for j := 0; j < L; j++ {
					p := 0.0
					if j <= i {
						p = math.Exp(float64(row[j])-mx) / z
					}
					worst = math.Max(worst, math.Abs(p-c.Probs[(h*L+i)*L+j]))
				}
			}
		}
		// float32 rounding of the biased scores only.
		if worst > 2e-6 {
			t.Errorf("H=%d L=%d: max |Δp| %.3g against HF", c.Heads, L, worst)
		}
	}
}

// TestALiBiProperties checks the definition: the first head's slope is
// 2^(−8/n), consecutive power-of-two slopes have ratio 2^(−8/n), the bias
// is zero on the diagonal, linear in the distance and the same for every
// query at the same distance (translation invariance).
func TestALiBiProperties(t *testing.T) {
	for _, H := range []int{8, 16, 32} {
		a, err := NewALiBi(H, DefaultALiBiMaxBias)
		if err != nil {
			t.Fatal(err)
		}
		r := math.Exp2(-8 / float64(H))
		for h := range a.Slopes {
			if want := math.Pow(r, float64(h+1)); !closeRel(a.Slopes[h], want, 1e-14) {
				t.Errorf("H=%d head %d: %v, want %v", H, h, a.Slopes[h], want)
			}
		}
		for h := range a.Slopes {
			for _, q := range []int{0, 7, 1000} {
				if a.Bias(h, q, q) != 0 {
					t.Errorf("bias on the diagonal is not zero")
				}
				for d := 1; d < 5; d++ {
					if got, want := a.Bias(h, q, q-d), -float64(d)*a.Slopes[h]; got != want {
						t.Errorf("H=%d head %d q=%d d=%d: %v, want %v", H, h, q, d, got, want)
					}
					if a.Bias(h, q, q-d) != a.Bias(h, q+123, q+123-d) {
						t.Errorf("bias depends on the query position, not only the distance")
					}
				}
			}
		}
	}
	// The 12-head extras interleave: the 8 heads of the 8-head set, then
	// the odd slopes of the 16-head set.
	a, _ := NewALiBi(12, 8)
	b, _ := NewALiBi(16, 8)
	for k := 0; k < 4; k++ {
		if a.Slopes[8+k] != b.Slopes[2*k] {
			t.Errorf("12 heads: extra slope %d = %v, want 16-head slope %v", k, a.Slopes[8+k], b.Slopes[2*k])
		}
	}
}

func TestALiBiErrors(t *testing.T) {
	a, err := NewALiBi(4, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"zero heads", func() error { _, err := NewALiBi(0, 8); return err }()},
		{"too many heads", func() error { _, err := ALiBiSlopes(maxALiBiHeads+1, 8); return err }()},
		{"zero max_bias", func() error { _, err := ALiBiSlopes(4, 0); return err }()},
		{"NaN max_bias", func() error { _, err := ALiBiSlopes(4, math.NaN()); return err }()},
		{"head out of range", a.AddBias(make([]float32, 3), 4, 2, 0)},
		{"negative head", a.AddBias(make([]float32, 3), -1, 2, 0)},
		{"absurd query", a.AddBias(make([]float32, 3), 0, MaxPosition+1, 0)},
		{"nil", (*ALiBi)(nil).AddBias(nil, 0, 0, 0)},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		} else if !strings.HasPrefix(tc.err.Error(), "posenc: ") || strings.Contains(tc.err.Error(), "\n") {
			t.Errorf("%s: error %q is not one posenc line", tc.name, tc.err)
		}
	}
}
