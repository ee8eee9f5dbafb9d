package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/quant"
)

func init() { register(newInfoCmd) }

func newInfoCmd() *cobra.Command {
	var mf modelFlags
	c := &cobra.Command{
		Use:   "info [-m MODEL] [flags]",
		Short: "describe a model: family, hyper-parameters, norm (kind, placement), positions, MLP and the family's extras, tensors by type, tokenizer",
		Long: `Describe a model without running it: architecture, hyper-parameters, RoPE and
norm settings, tensors by type, and its tokenizer. Without -m: the embedded model.`,
		Example: `  llmparts info
  llmparts info -m stories260K.bin
  llmparts info -m model.gguf`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return info(&mf) },
	}
	mf.add(c.Flags())
	mf.keepMapped = true // no forward pass: copying into huge pages only costs time
	return c
}

func info(mf *modelFlags) error {
	lm, err := mf.open()
	if err != nil {
		return err
	}
	defer lm.Close()
	m, tok := lm.Net, lm.Tokenizer
	w := os.Stdout
	c := m.Config
	fmt.Fprintf(w, "model:          %s\n", m.Info.Path)
	fmt.Fprintf(w, "format:         %s (memory-mapped: %v)\n", m.Info.Format, m.Info.Mapped)
	if n := m.Info.Meta["name"]; n != "" {
		fmt.Fprintf(w, "name:           %s\n", n)
	}
	d := m.Describe()
	fmt.Fprintf(w, "architecture:   %s\n", d.Family)
	fmt.Fprintf(w, "layers:         %d\n", c.NLayers)
	fmt.Fprintf(w, "dim:            %d\n", c.Dim)
	fmt.Fprintf(w, "heads:          %d query, %d key/value, head dim %d\n", c.NHeads, c.NKVHeads, c.HeadDim)
	fmt.Fprintf(w, "vocab:          %d\n", c.VocabSize)
	fmt.Fprintf(w, "context:        %d\n", c.ContextLen)
	fmt.Fprintf(w, "norm:           %s\n", d.Norm)
	fmt.Fprintf(w, "positions:      %s\n", d.Positions)
	fmt.Fprintf(w, "MLP:            %s\n", d.MLP)
	for i, e := range d.Extras {
		fmt.Fprintf(w, "%-16s%s\n", map[bool]string{true: "extras:", false: ""}[i == 0], e)
	}
	fmt.Fprintf(w, "LM head:        %s\n", map[bool]string{true: "tied to the token embedding", false: "separate"}[c.Tied])
	counts := map[quant.Type]int{}
	var bytes int64
	for _, t := range m.Tensors() {
		counts[t.Type]++
		bytes += t.Bytes()
	}
	var kinds, kernels []string
	for _, t := range quant.Types() {
		n := counts[t]
		if n == 0 {
			continue
		}
		kinds = append(kinds, fmt.Sprintf("%v ×%d", t, n))
		k := t.Kernels()
		how := fmt.Sprintf("float32 activations (%s)", k.Variant)
		if m.IntegerPath(t) {
			how = fmt.Sprintf("activations quantized to %v, integer block dots (%s)", t.VecDot(), k.Variant)
		} else if m.IntegerGemm(t) {
			how = fmt.Sprintf("float32 activations, prompts quantized to %v for the integer GEMM (%s)", t.VecDot(), k.Variant)
		}
		kernels = append(kernels, fmt.Sprintf("%v × %s", t, how))
	}
	fmt.Fprintf(w, "matrices:       %s (%.2f MB); norms and biases F32\n", strings.Join(kinds, ", "), float64(bytes)/1e6)
	fmt.Fprintf(w, "parameters:     %d (%.2fM)\n", m.NumParams(), float64(m.NumParams())/1e6)
	for i, k := range kernels {
		label := "kernels:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "%-15s %s\n", label, k)
	}
	if d := m.Info.Dequantized; len(d) > 0 {
		list := d
		if len(list) > 6 {
			list = append(append([]string(nil), d[:6]...), fmt.Sprintf("... %d more", len(d)-6))
		}
		fmt.Fprintf(w, "dequantized:    %d tensors converted to F32 at load: %s\n", len(d), strings.Join(list, ", "))
	} else {
		fmt.Fprintf(w, "dequantized:    none (all weights used in their stored type)\n")
	}
	fmt.Fprintf(w, "tokenizer:      %s, %d tokens, BOS %d, EOS %d\n", tok.Kind(), tok.VocabSize(), tok.BOS(), tok.EOS())
	return nil
}
