package sample

import (
	"math"
	"testing"
)

func dist(t *testing.T, p Params, logits []float32, hist []int) map[int]float64 {
	t.Helper()
	out := map[int]float64{}
	var sum float64
	for _, c := range New(p).Distribution(logits, hist) {
		out[c.ID] = c.Prob
		sum += c.Prob
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Fatalf("probabilities sum to %v", sum)
	}
	return out
}

// ln of probabilities so the expected values are exact.
var (
	ln  = func(x float64) float32 { return float32(math.Log(x)) }
	lgs = []float32{ln(0.1), ln(0.4), ln(0.2), ln(0.3)} // ids 0..3
)

func TestDistributions(t *testing.T) {
	cases := []struct {
		name string
		p    Params
		hist []int
		want map[int]float64
	}{
		{"greedy", Params{}, nil, map[int]float64{1: 1}},
		{"temp1", Params{Temperature: 1}, nil, map[int]float64{0: .1, 1: .4, 2: .2, 3: .3}},
		{"temp0.5", Params{Temperature: 0.5}, nil, map[int]float64{0: .01 / .3, 1: .16 / .3, 2: .04 / .3, 3: .09 / .3}},
		{"topk2", Params{Temperature: 1, TopK: 2}, nil, map[int]float64{1: 4.0 / 7, 3: 3.0 / 7}},
		{"topp0.7", Params{Temperature: 1, TopP: 0.7}, nil, map[int]float64{1: 4.0 / 7, 3: 3.0 / 7}},
		{"topp0.75", Params{Temperature: 1, TopP: 0.75}, nil, map[int]float64{1: 4.0 / 9, 3: 3.0 / 9, 2: 2.0 / 9}},
		{"minp0.45", Params{Temperature: 1, MinP: 0.45}, nil, map[int]float64{1: 4.0 / 9, 3: 3.0 / 9, 2: 2.0 / 9}},
		{"minp0.6", Params{Temperature: 1, MinP: 0.6}, nil, map[int]float64{1: 4.0 / 7, 3: 3.0 / 7}},
		{"topk3+minp0.6", Params{Temperature: 1, TopK: 3, MinP: 0.6}, nil, map[int]float64{1: 4.0 / 7, 3: 3.0 / 7}},
	}
	for _, c := range cases {
		got := dist(t, c.p, lgs, c.hist)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v want %v", c.name, got, c.want)
			continue
		}
		for id, w := range c.want {
			if math.Abs(got[id]-w) > 1e-6 {
				t.Errorf("%s: p(%d) = %v want %v", c.name, id, got[id], w)
			}
		}
	}
}

func TestRepeatPenalty(t *testing.T) {
	l := []float32{2, -1, 1, 0.5}
	// Penalty 2 on tokens 0 and 1 (1 appears twice: penalised once):
	// logits become 1, -2, 1, 0.5.
	d := dist(t, Params{Temperature: 1, RepeatPenalty: 2}, l, []int{1, 0, 1})
	z := 2*math.E + math.Exp(-2) + math.Exp(0.5)
	want := map[int]float64{0: math.E / z, 1: math.Exp(-2) / z, 2: math.E / z, 3: math.Exp(0.5) / z}
	for id, w := range want {
		if math.Abs(d[id]-w) > 1e-6 {
			t.Errorf("p(%d) = %v want %v", id, d[id], w)
		}
	}
	// Only the last N tokens count: with N=1 only token 1 is penalised,
	// so greedy still picks 0.
	if g := New(Params{RepeatPenalty: 2, RepeatLastN: 1}).Sample(l, []int{0, 1}); g != 0 {
		t.Errorf("greedy with last-1 penalty = %d, want 0", g)
	}
	// With token 0 penalised (2/2.5 = 0.8), greedy picks 2 (logit 1).
	if g := New(Params{RepeatPenalty: 2.5}).Sample(l, []int{0}); g != 2 {
		t.Errorf("greedy with penalty = %d, want 2", g)
	}
}

func TestSeedReproducible(t *testing.T) {
	l := []float32{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}
	run := func(seed uint64) []int {
		s := New(Params{Temperature: 1, Seed: seed})
		out := make([]int, 50)
		for i := range out {
			out[i] = s.Sample(l, nil)
		}
		return out
	}
	a, b, c := run(42), run(42), run(43)
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed gave different tokens")
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Fatal("different seeds gave identical sequences")
	}
}

func TestSampleFrequencies(t *testing.T) {
	s := New(Params{Temperature: 1, Seed: 7})
	n := 20000
	count := make([]int, 4)
	for i := 0; i < n; i++ {
		count[s.Sample(lgs, nil)]++
	}
	for id, w := range []float64{.1, .4, .2, .3} {
		if f := float64(count[id]) / float64(n); math.Abs(f-w) > 0.015 {
			t.Errorf("token %d frequency %v want %v", id, f, w)
		}
	}
}

func TestTopKLarge(t *testing.T) {
	// 1000 logits in a scrambled order; top-k keeps exactly the k largest.
	l := make([]float32, 1000)
	for i := range l {
		l[i] = float32((i * 7919) % 1000)
	}
	c := New(Params{Temperature: 1, TopK: 5}).Distribution(l, nil)
	if len(c) != 5 {
		t.Fatalf("%d candidates", len(c))
	}
	for i, x := range c {
		if x.Logit != float32(999-i) {
			t.Fatalf("candidate %d has logit %v", i, x.Logit)
		}
	}
}

func TestValidate(t *testing.T) {
	good := Params{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, RepeatLastN: 64}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid params rejected: %v", err)
	}
	if err := (Params{}).Validate(); err != nil {
		t.Fatalf("zero params (greedy) rejected: %v", err)
	}
	bad := []Params{
		{Temperature: math.NaN()}, {Temperature: -1}, {TopK: -5}, {TopP: 2}, {TopP: math.NaN()},
		{MinP: -0.1}, {MinP: math.Inf(1)}, {RepeatPenalty: -1}, {RepeatPenalty: math.NaN()}, {RepeatLastN: -1},
	}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func TestRepeatLastNLongerOrNegative(t *testing.T) {
	logits := []float32{3, 2, -1, 0.5}
	for _, n := range []int{-1, 100} {
		s := New(Params{RepeatPenalty: 2, RepeatLastN: n})
		// History shorter than n (or n negative): every token in it is penalised, no panic.
		c := s.Distribution(logits, []int{0, 2, 0})
		if c[0].ID != 1 {
			t.Fatalf("n=%d: greedy after penalising tokens 0 and 2 gave %d, want 1 (3/2 < 2)", n, c[0].ID)
		}
	}
}

// OpenAI's documented formula: μ_j − c_j·α_frequency − [c_j > 0]·α_presence.
func TestFrequencyPresencePenalty(t *testing.T) {
	l := []float32{1, 0.9, 0.5}
	c := New(Params{Temperature: 1, FrequencyPenalty: 0.25, PresencePenalty: 0.125}).Distribution(l, []int{0, 0, 1})
	want := map[int]float32{0: 1 - 2*0.25 - 0.125, 1: 0.9 - 0.25 - 0.125, 2: 0.5}
	for _, x := range c {
		if d := x.Logit - want[x.ID]; d > 1e-6 || d < -1e-6 {
			t.Errorf("token %d: logit %g, want %g", x.ID, x.Logit, want[x.ID])
		}
	}
	if len(c) != 3 || c[0].ID != 1 {
		t.Errorf("order %v, want token 1 first", c)
	}
	if (Params{FrequencyPenalty: math.NaN()}).Validate() == nil {
		t.Error("NaN frequency penalty accepted")
	}
}
