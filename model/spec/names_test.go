package spec

import "testing"

// TestNames pins names that files on disk use: llama.cpp's GGUF names and
// the Hugging Face Llama names the trainer writes.
func TestNames(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{AttnQ.GGUFName(3), "blk.3.attn_q"},
		{FFNGateUp.GGUFName(0), "blk.0.ffn_up"},
		{TokenEmbd.GGUFName(0), "token_embd"},
		{TrainerName(TokenEmbd, 0), "model.embed_tokens"},
		{TrainerName(PosEmbd, 0), "model.embed_positions"},
		{TrainerName(AttnQ, 2), "model.layers.2.self_attn.q_proj"},
		{TrainerName(FFNNorm, 1), "model.layers.1.post_attention_layernorm"},
		{TrainerName(Output, 0), "lm_head"},
		{TrainerName(AttnQKV, 0), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	m := HFLlamaNames()
	m[AttnQ] = "changed"
	if TrainerName(AttnQ, 0) != "model.layers.0.self_attn.q_proj" {
		t.Error("HFLlamaNames returns the table itself, not a copy")
	}
	for r := Role(0); r < NumRoles; r++ {
		if ggufNames[r] == "" {
			t.Errorf("role %d has no GGUF name", r)
		}
	}
}
