package sample

import (
	"math"
	"testing"
)

func TestLogSumExp(t *testing.T) {
	// log(e^1+e^2+e^3) = 3 + log(1 + e^−1 + e^−2) = 3.40760596444438
	if got, want := LogSumExp([]float32{1, 2, 3}), 3.40760596444438; math.Abs(got-want) > 1e-12 {
		t.Errorf("LogSumExp = %.15g, want %.15g", got, want)
	}
	// Large logits do not overflow: log(2·e^1000) = 1000 + ln 2.
	if got, want := LogSumExp([]float32{1000, 1000}), 1000+math.Ln2; math.Abs(got-want) > 1e-9 {
		t.Errorf("LogSumExp = %.15g, want %.15g", got, want)
	}
}
