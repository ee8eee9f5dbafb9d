package train

import (
	"testing"
)

// BenchmarkStep measures one forward+backward of the default model
// (dim 128, 4 layers, ctx 64, batch 12) on random tokens.
func BenchmarkStep(b *testing.B) {
	o := DefaultOptions()
	for _, norm := range []string{NormLayer, NormRMS} {
		b.Run(norm, func(b *testing.B) {
			o.Norm = norm
			m, err := NewModel(o.Config(65), 1)
			if err != nil {
				b.Fatal(err)
			}
			B, T := o.Batch, o.Ctx
			tok, tgt := make([]int, B*T), make([]int, B*T)
			r := RNG{State: 1}
			for i := range tok {
				tok[i], tgt[i] = r.Intn(65), r.Intn(65)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.ZeroGrads()
				if _, err := m.Forward(tok, tgt, B); err != nil {
					b.Fatal(err)
				}
				m.Backward(1)
			}
			b.ReportMetric(float64(B*T*b.N)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}
