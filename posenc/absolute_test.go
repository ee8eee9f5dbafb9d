package posenc

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSinusoidalRowsUnique(t *testing.T) {
	const n, d = 100000, 32
	s := Sinusoidal{Dim: d}
	pos := make([]int, n)
	for i := range pos {
		pos[i] = i
	}
	tab, err := s.Table(pos)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[uint64]int, n)
	var buf bytes.Buffer
	for p := 0; p < n; p++ {
		row := tab[p*d : (p+1)*d]
		buf.Reset()
		_ = binary.Write(&buf, binary.LittleEndian, row)
		h := fnv.New64a()
		h.Write(buf.Bytes())
		k := h.Sum64()
		if q, dup := seen[k]; dup {
			other := tab[q*d : (q+1)*d]
			if bytes.Equal(buf.Bytes(), func() []byte {
				var b bytes.Buffer
				_ = binary.Write(&b, binary.LittleEndian, other)
				return b.Bytes()
			}()) {
				t.Fatalf("positions %d and %d have the same encoding", q, p)
			}
		}
		seen[k] = p
	}
}

func TestSinusoidalIndependentOfLength(t *testing.T) {
	for _, l := range []SinLayout{SinInterleaved, SinConcat} {
		s := Sinusoidal{Dim: 10, Base: 500, Layout: l}
		short, _ := s.Table([]int{0, 1, 2})
		long, _ := s.Table([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10000})
		again, _ := s.Table([]int{0, 1, 2})
		for i := range short {
			if short[i] != long[i] || short[i] != again[i] {
				t.Fatalf("layout %d: value %d depends on sequence length or run", l, i)
			}
		}
		row := make([]float32, 10)
		if err := s.Row(10000, row); err != nil {
			t.Fatal(err)
		}
		for i := range row {
			if row[i] != long[10*10+i] {
				t.Fatalf("Row and Table disagree at %d", i)
			}
		}
		emb := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		if err := s.Add(emb, []int{2}); err != nil {
			t.Fatal(err)
		}
		for i := range emb {
			if math.Abs(float64(emb[i]-float32(i+1)-short[20+i])) > 1e-6 {
				t.Fatalf("Add: %v", emb)
			}
		}
	}
}

// TestSinusoidalShift checks PE(p+k) = M_k·PE(p) with one block-rotation
// M_k built from k alone, the property that lets attention read relative
// offsets from absolute sinusoids.
func TestSinusoidalShift(t *testing.T) {
	const d, k = 16, 37
	for _, l := range []SinLayout{SinInterleaved, SinConcat} {
		s := Sinusoidal{Dim: d, Layout: l}
		// M_k in float64.
		m := make([][]float64, d)
		for i := range m {
			m[i] = make([]float64, d)
		}
		for i := 0; i < d/2; i++ {
			w := math.Pow(10000, -float64(2*i)/d)
			c, sn := math.Cos(k*w), math.Sin(k*w)
			is, ic := 2*i, 2*i+1
			if l == SinConcat {
				is, ic = i, d/2+i
			}
			// sin(a+b) = sin a cos b + cos a sin b; cos(a+b) = cos a cos b − sin a sin b
			m[is][is], m[is][ic] = c, sn
			m[ic][is], m[ic][ic] = -sn, c
		}
		for _, p := range []int{0, 5, 999, 40000} {
			pe, _ := s.Table([]int{p, p + k})
			for r := 0; r < d; r++ {
				got := 0.0
				for c := 0; c < d; c++ {
					got += m[r][c] * float64(pe[c])
				}
				if math.Abs(got-float64(pe[d+r])) > 1e-5 {
					t.Fatalf("layout %d p %d row %d: M_k·PE(p) = %v, PE(p+k) = %v", l, p, r, got, pe[d+r])
				}
			}
		}
	}
}

func TestSinusoidalErrors(t *testing.T) {
	for _, s := range []Sinusoidal{{Dim: 0}, {Dim: 7}, {Dim: 8, Base: -1}, {Dim: 8, Base: math.NaN()}, {Dim: 8, Layout: 3}} {
		if _, err := s.Table([]int{0}); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	s := Sinusoidal{Dim: 4}
	if err := s.Add(make([]float32, 3), []int{0}); err == nil {
		t.Error("short emb accepted")
	}
	if err := s.Row(MaxPosition+1, make([]float32, 4)); err == nil {
		t.Error("absurd position accepted")
	}
	if _, err := ParseSinLayout("diagonal"); err == nil {
		t.Error("unknown layout accepted")
	}
}

func TestLearned(t *testing.T) {
	l, err := NewLearned(5, 3)
	if err != nil {
		t.Fatal(err)
	}
	l.Init(rand.New(rand.NewPCG(1, 1)), 0.02)
	for i := range l.Weight {
		l.Weight[i] = float32(i)
	}
	emb := []float32{1, 1, 1, 2, 2, 2, 3, 3, 3}
	pos := []int{4, 0, 4}
	if err := l.Add(emb, pos); err != nil {
		t.Fatal(err)
	}
	want := []float32{13, 14, 15, 2, 3, 4, 15, 16, 17}
	for i := range want {
		if emb[i] != want[i] {
			t.Fatalf("Add = %v, want %v", emb, want)
		}
	}
	dW := make([]float32, 15)
	dEmb := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	if err := l.Backward(dW, dEmb, pos); err != nil {
		t.Fatal(err)
	}
	wantDW := []float32{4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 10, 12}
	for i := range wantDW {
		if dW[i] != wantDW[i] {
			t.Fatalf("dWeight = %v, want %v", dW, wantDW)
		}
	}
	// Errors: position == MaxPos, negative, shape mismatch.
	if err := l.Add(make([]float32, 3), []int{5}); err == nil {
		t.Error("position maxPos accepted")
	}
	if err := l.Add(make([]float32, 3), []int{-1}); err == nil {
		t.Error("negative position accepted")
	}
	if err := l.Backward(make([]float32, 14), make([]float32, 3), []int{0}); err == nil {
		t.Error("short dWeight accepted")
	}
	if err := l.Add(make([]float32, 4), []int{0}); err == nil {
		t.Error("ragged emb accepted")
	}
	if _, err := NewLearned(1<<30, 1<<10); err == nil {
		t.Error("huge table accepted")
	}
}

func TestLearnedInitStd(t *testing.T) {
	l, _ := NewLearned(100, 100)
	l.Init(rand.New(rand.NewPCG(2, 3)), 0.02)
	ss := 0.0
	for _, w := range l.Weight {
		ss += float64(w) * float64(w)
	}
	if std := math.Sqrt(ss / float64(len(l.Weight))); math.Abs(std-0.02) > 0.001 {
		t.Errorf("init std %v, want 0.02", std)
	}
}
