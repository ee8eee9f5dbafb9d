package train

import (
	"math"
	"testing"
)

// TestMeanSD: the textbook sample 2, 4, 4, 4, 5, 5, 7, 9 has mean 5 and
// sample standard deviation sqrt(32/7).
func TestMeanSD(t *testing.T) {
	m, sd := MeanSD([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if m != 5 || math.Abs(sd-math.Sqrt(32.0/7)) > 1e-15 {
		t.Errorf("mean %v sd %v, want 5 and %v", m, sd, math.Sqrt(32.0/7))
	}
	if m, sd := MeanSD([]float64{3}); m != 3 || sd != 0 {
		t.Errorf("one value: %v %v", m, sd)
	}
	rs := []AblationResult{
		{Variant: Variant{Name: "a"}, TrainLoss: 1, ValLoss: 2},
		{Variant: Variant{Name: "b"}, TrainLoss: 5, ValLoss: 6},
		{Variant: Variant{Name: "a"}, TrainLoss: 3, ValLoss: 4},
	}
	s := SummarizeSeeds(rs)
	if len(s) != 2 || s[0].Name != "a" || s[0].Seeds != 2 || s[0].TrainMean != 2 || s[0].ValMean != 3 ||
		math.Abs(s[0].ValSD-math.Sqrt2) > 1e-15 || s[1].Name != "b" || s[1].Seeds != 1 || s[1].ValSD != 0 {
		t.Errorf("summary %+v", s)
	}
}
