package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmparts/llmparts/defaultmodel"
	"github.com/llmparts/llmparts/export"
	"github.com/llmparts/llmparts/format/gguf"
	"github.com/llmparts/llmparts/quant"
	"github.com/llmparts/llmparts/train"
)

func init() { register(newExportCmd) }

func newExportCmd() *cobra.Command {
	var in, to, out, typ string
	cmd := &cobra.Command{
		Use:   "export [-m CHECKPOINT] --to gguf|hf|llama2c -o PATH [--type T]",
		Short: "write a trained checkpoint as GGUF, a Hugging Face folder or llama2.c .bin",
		Long: `Write a checkpoint of llmparts train (a training output folder or one of its
step folders; no -m: the embedded default model) in another program's format, as
the architecture that computes exactly the same function: rmsnorm+rope+swiglu →
llama, layernorm+rope+swiglu → stablelm, layernorm+rope+gelu → gptneox,
layernorm+learned+gelu → gpt2. Other variants (pRMSNorm, sinusoidal or no
positions) are refused.

  --to gguf     a GGUF file for llama.cpp (--type: ` + gguf.FileTypeNames() + `
                for the matrices; vectors stay f32)
  --to hf       a Hugging Face folder: config.json, model.safetensors,
                tokenizer.json, tokenizer_config.json, generation_config.json
                (--type f32, f16 or bf16)
  --to llama2c  a llama2.c version 0 .bin (float32; llama variant only)`,
		Example: `  llmparts export --to gguf -o default.gguf
  llmparts export -m out --to hf -o out-hf --type f16`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" || out == "" {
				return usageErrorf("--to and -o are required")
			}
			return runExport(in, to, out, typ)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&in, "model", "m", "", "checkpoint `folder` (default: the embedded default model)")
	fs.StringVar(&to, "to", "", "output format: gguf, hf or llama2c (required)")
	fs.StringVarP(&out, "output", "o", "", "output `PATH`: a file for gguf and llama2c, a folder for hf (required)")
	fs.StringVar(&typ, "type", "f32", "weight type")
	return cmd
}

func runExport(in, to, out, typ string) error {
	var t quant.Type
	switch to {
	case "gguf":
		var err error
		if t, err = export.ParseGGUFType(typ); err != nil {
			return err
		}
	case "hf":
		switch strings.ToLower(typ) {
		case "f32":
			t = quant.F32
		case "f16":
			t = quant.F16
		case "bf16":
			t = quant.BF16
		default:
			return fmt.Errorf("export: --type %q: a Hugging Face folder holds f32, f16 or bf16", typ)
		}
	case "llama2c":
		if strings.ToLower(typ) != "f32" {
			return fmt.Errorf("export: --type %q: llama2.c version 0 files are float32", typ)
		}
	default:
		return fmt.Errorf("export: --to %q: want gguf, hf or llama2c", to)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() != (to == "hf") {
		if st.IsDir() {
			return fmt.Errorf("export: -o %s is a folder; --to %s writes a file", out, to)
		}
		return fmt.Errorf("export: -o %s is a file; --to hf writes a folder", out)
	}
	src, err := loadExportSource(in)
	if err != nil {
		return err
	}
	switch to {
	case "gguf":
		err = export.WriteGGUF(out, src, t)
	case "hf":
		err = export.WriteHF(out, src, t)
	case "llama2c":
		err = export.WriteLlama2C(out, src)
	}
	if err != nil {
		return err
	}
	fam, _ := export.FamilyOf(src.Config)
	fmt.Fprintf(os.Stderr, "export: wrote %s (%s, %s)\n", out, fam.Name, to)
	return nil
}

// loadExportSource loads the checkpoint at dir, or the embedded default
// model when dir is empty.
func loadExportSource(dir string) (*export.Source, error) {
	if dir != "" {
		return export.Load(dir)
	}
	ck, err := train.LoadCheckpointFS(defaultmodel.FS(), ".")
	if err != nil {
		return nil, fmt.Errorf("export: default model: %w", err)
	}
	return export.FromModel(ck.Model, ck.Tokenizer, "llmparts default model")
}
