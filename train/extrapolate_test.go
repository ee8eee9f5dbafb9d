package train

import (
	"math"
	"strings"
	"testing"
)

// TestAtContext: a copy at the trained context evaluates exactly as the
// model; longer copies run (learned positions reuse their last row);
// scaling by 1 changes nothing beyond rounding; RoPE scaling of a non-RoPE
// model is refused.
func TestAtContext(t *testing.T) {
	for _, pos := range []string{PosRoPE, PosLearned, PosALiBi, PosSinusoidal, PosNone} {
		o := tinyOptions("")
		o.Pos, o.Steps = pos, 5
		tr, err := NewTrainer(o, testCorpus())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(); err != nil {
			t.Fatal(err)
		}
		want, err := tr.Model.EvalLoss(tr.Data.Val, 256)
		if err != nil {
			t.Fatal(err)
		}
		same, err := tr.Model.AtContext(o.Ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := same.EvalLoss(tr.Data.Val, 256); got != want {
			t.Errorf("%s: loss at the trained context %v, copy %v", pos, want, got)
		}
		long, err := tr.Model.AtContext(4*o.Ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := long.EvalLoss(tr.Data.Val, 256); err != nil || math.IsNaN(l) || l <= 0 {
			t.Errorf("%s at 4× context: %v, %v", pos, l, err)
		}
		if pos == PosRoPE {
			for _, kind := range []string{"linear", "ntk", "yarn"} {
				m, err := tr.Model.AtContext(o.Ctx, &RoPEScaling{Kind: kind, Factor: 1})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := m.EvalLoss(tr.Data.Val, 256)
				if math.Abs(got-want) > 1e-5 {
					t.Errorf("%s scaling by 1: loss %v, unscaled %v", kind, got, want)
				}
			}
			if _, err := tr.Model.AtContext(o.Ctx, &RoPEScaling{Kind: "dynamic", Factor: 4}); err == nil {
				t.Error("unknown scaling accepted")
			}
		} else if _, err := tr.Model.AtContext(o.Ctx, &RoPEScaling{Kind: "linear", Factor: 4}); err == nil || !strings.Contains(err.Error(), "RoPE scaling") {
			t.Errorf("%s: RoPE scaling accepted: %v", pos, err)
		}
	}
}
