package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register(newLogitsCmd) }

// logitsOut is where logits writes its JSON lines (tests replace it).
var logitsOut io.Writer = os.Stdout

func newLogitsCmd() *cobra.Command {
	var mf modelFlags
	var ids string
	var nCtx int
	c := &cobra.Command{
		Use:   "logits [-m MODEL] --ids 1,2,3 [--float-activations | --quantize-activations] [--match-llamacpp]",
		Short: "print the model's logits at every position of a token sequence, as JSON lines",
		Long: `Run token ids through the model as one batch (positions 0, 1, ...) and print
one JSON line per position, {"pos": i, "token": id, "logits": [...]}, to compare
the model with other engines (llama.cpp, Hugging Face). Without -m: the embedded
model. Q8_0/Q4_0 weights run against float32 activations unless
--quantize-activations asks for llama.cpp's Q8_0 integer path (the ids then
go through one at a time, the path that has it). --match-llamacpp computes
attention, RoPE and SiLU in llama.cpp's own float32 arithmetic (its AVX-512
CPU build), and --quantize-activations implies it here: the logits of a
quantized GGUF file then equal llama.cpp's on that file to float32
rounding (without it one rounding before a quantization can move later
logits by 0.01–0.08).`,
		Example: `  llmparts logits -m model.gguf --ids 1,15043,3186
  llmparts logits -m stories260K.bin --ids 1,403,407 --quantize-activations
  llmparts logits -m model-Q4_K_M.gguf --ids 1,2,3 --quantize-activations --match-llamacpp
  llmparts logits -m phi3.gguf --ids 1,2,3 -c 256`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			toks, err := parseIDs(ids)
			if err != nil {
				return err
			}
			if nCtx < 0 {
				return usageErrorf("--ctx-size %d is negative", nCtx)
			}
			return logits(&mf, toks, nCtx)
		},
	}
	mf.add(c.Flags())
	mf.noTok = true
	c.Flags().StringVar(&ids, "ids", "", "token ids, comma-separated (required)")
	c.Flags().IntVarP(&nCtx, "ctx-size", "c", 0, "session context in positions, as llama.cpp's -c (0: the number of ids); it decides Phi-3's LongRoPE factors (long when it exceeds the original context)")
	return c
}

// parseIDs reads "1,2,3" as token ids.
func parseIDs(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, usageErrorf("--ids is required (comma-separated token ids)")
	}
	var ids []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 {
			return nil, usageErrorf("--ids: %q is not a token id", f)
		}
		ids = append(ids, v)
	}
	return ids, nil
}

func logits(mf *modelFlags, ids []int, nCtx int) error {
	// Comparing the integer path with llama.cpp needs its arithmetic
	// everywhere before a quantization (see --match-llamacpp).
	mf.matchGGML = mf.matchGGML || mf.quantAct
	lm, err := mf.open()
	if err != nil {
		return err
	}
	defer lm.Close()
	m := lm.Net
	if nCtx < len(ids) {
		nCtx = len(ids)
	}
	s, err := m.NewSessionLimit(nCtx, 0)
	if err != nil {
		return err
	}
	if len(ids) > s.Context() {
		return usageErrorf("%d ids exceed the model's context of %d", len(ids), s.Context())
	}
	V := m.Config.VocabSize
	var all []float32
	if m.QuantizeActivations {
		// The integer path is the one-token (decode) path: run the ids one
		// at a time, as a prompt of one token each.
		all = make([]float32, 0, len(ids)*V)
		for i, t := range ids {
			l, err := s.Forward([]int{t}, i)
			if err != nil {
				return err
			}
			all = append(all, l...)
		}
	} else if all, err = s.ForwardAll(ids, 0); err != nil {
		return err
	}
	w := bufio.NewWriter(logitsOut)
	enc := json.NewEncoder(w)
	for i, t := range ids {
		line := struct {
			Pos    int       `json:"pos"`
			Token  int       `json:"token"`
			Logits []float32 `json:"logits"`
		}{i, t, all[i*V : (i+1)*V]}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return w.Flush()
}
