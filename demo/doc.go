// Package demo shows the ideas behind llmparts' parts as measured property
// checks and PNG figures: RMSNorm's invariance to re-scaling and LayerNorm's
// to shifts, RoPE's dependence on relative position only, and RoPE's
// long-term decay — the RoFormer bound (1/(d/2))·Σ_{j=1}^{d/2} |S_j| with
// S_j = Σ_{k<j} e^{i·m·θ_k} — under the context-extension scalings, and
// ALiBi's linear bias m_h·(j − i) per head, whose factor e^{−m_h·d} on the
// attention weight is drawn beside RoPE's decay.
//
// It is what `llmparts demo` runs; it needs no network and no test data.
package demo
