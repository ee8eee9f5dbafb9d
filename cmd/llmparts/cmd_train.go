package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llmparts/llmparts/internal/progress"
	"github.com/llmparts/llmparts/internal/sysmem"
	"github.com/llmparts/llmparts/train"
)

func init() { register(newTrainCmd) }

// trainFlags registers the model and schedule flags shared by train and ablate.
func trainFlags(fs *pflag.FlagSet, o *train.Options) {
	fs.StringVar(&o.Data, "data", o.Data, "training text: a file, or a folder of text files (default: the Go standard library sources)")
	fs.StringVar(&o.Tokenizer, "tokenizer", o.Tokenizer, "tokenizer: char, char:N, bpe:N, or a tokenizer file (tokenizer.json, .gguf; needed for pre-tokenized --data)")
	fs.IntVar(&o.Dim, "dim", o.Dim, "model width")
	fs.IntVar(&o.Layers, "layers", o.Layers, "transformer blocks")
	fs.IntVar(&o.Heads, "heads", o.Heads, "attention heads")
	fs.IntVar(&o.KVHeads, "kv-heads", o.KVHeads, "key/value heads (0: same as heads)")
	fs.IntVar(&o.Hidden, "hidden", o.Hidden, "MLP hidden width (0: 4·dim)")
	fs.StringVar(&o.MLP, "mlp", o.MLP, "MLP: swiglu or gelu")
	fs.IntVar(&o.Ctx, "ctx", o.Ctx, "context length")
	fs.BoolVar(&o.Untied, "untied", o.Untied, "separate LM head (default: tied to the embedding)")
	fs.IntVar(&o.Batch, "batch", o.Batch, "sequences per micro-batch")
	fs.IntVar(&o.Accum, "accum", o.Accum, "gradient accumulation steps")
	fs.IntVar(&o.Steps, "steps", o.Steps, "optimizer steps (the schedule's length)")
	fs.Float64Var(&o.LR, "lr", o.LR, "peak learning rate")
	fs.Float64Var(&o.MinLR, "min-lr", o.MinLR, "final learning rate of the cosine")
	fs.IntVar(&o.Warmup, "warmup", o.Warmup, "linear warm-up steps")
	fs.Float64Var(&o.WeightDecay, "weight-decay", o.WeightDecay, "AdamW decoupled weight decay (matrices only)")
	fs.Float64Var(&o.Clip, "clip", o.Clip, "global gradient-norm clip (0: off)")
	fs.IntVar(&o.EvalIters, "eval-iters", o.EvalIters, "validation batches per evaluation")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed")
	fs.IntVar(&o.Threads, "threads", o.Threads, "goroutines (0: all CPUs)")
	fs.Var((*sizeFlag)(&o.MaxMemory), "max-memory", "refuse a run needing more memory than this, e.g. 8G (0: the memory available now)")
	fs.Var((*sizeFlag)(&o.MaxData), "max-data", "refuse more training text than this, e.g. 2G (0: 1G)")
}

// sizeFlag is a byte count flag written like 8G or 512M (sysmem.ParseSize).
type sizeFlag int64

func (f *sizeFlag) String() string { return strconv.FormatInt(int64(*f), 10) }
func (f *sizeFlag) Type() string   { return "size" }
func (f *sizeFlag) Set(s string) error {
	n, err := sysmem.ParseSize(s)
	if err != nil {
		return err
	}
	*f = sizeFlag(n)
	return nil
}

func newTrainCmd() *cobra.Command {
	o := train.DefaultOptions()
	o.Out = "out"
	var jsonOut bool
	c := &cobra.Command{
		Use:   "train [--data PATH] [--out DIR] [flags]",
		Short: "train a small Llama-style model (RMSNorm/pRMSNorm/LayerNorm × RoPE/sinusoidal/learned/none, SwiGLU/GELU): AdamW, atomic checkpoints, exact resume",
		Long: `Train a Llama-style model (RMSNorm, pRMSNorm or LayerNorm; RoPE, sinusoidal,
learned or no positions; SwiGLU or GELU) with AdamW and a cosine schedule, and
write atomic checkpoints to --out (OUT/current names the latest); --resume
continues exactly where a run stopped, with the options it was started with
(given again, they must be equal; only --until, --steps to extend the schedule,
--eval-every, --save-every, --sample-every and --threads may change). OUT/best
names the checkpoint with the lowest validation loss.`,
		Example: `  llmparts train --data input.txt --out ck --steps 200
  llmparts train --out ck --until 100 && llmparts train --out ck --resume
  llmparts train --data shakespeare/train.bin --tokenizer ggml-vocab-gpt-2.gguf --out ck  # nanoGPT ids (val.bin beside)`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Resume {
				// Every option comes from the saved run; those given again
				// must match it, except the few that may change.
				saved, err := train.SavedOptions(o.Out)
				if err != nil {
					return err
				}
				var set []string
				cmd.Flags().Visit(func(f *pflag.Flag) { set = append(set, f.Name) })
				if o, err = train.ResumeOptions(saved, o, set); err != nil {
					return err
				}
			}
			return runTrain(o, jsonOut)
		},
	}
	fs := c.Flags()
	trainFlags(fs, &o)
	fs.StringVar(&o.Out, "out", o.Out, "output folder for checkpoints and loss.png")
	fs.StringVar(&o.DataFormat, "data-format", o.DataFormat, "how to read --data: text, uint16 (nanoGPT train.bin), uint32, llmc (llm.c shard); default: by content and name")
	fs.StringVar(&o.Norm, "norm", o.Norm, "normalisation: rmsnorm, prmsnorm or layernorm")
	fs.Float64VarP(&o.P, "p", "p", o.P, "pRMSNorm fraction p of the row used for the RMS")
	fs.StringVar(&o.Pos, "pos", o.Pos, "positions: rope, sinusoidal, learned, alibi or none")
	fs.IntVar(&o.Until, "until", o.Until, "stop after this step (with a checkpoint); resume later with --resume")
	fs.IntVar(&o.EvalEvery, "eval-every", o.EvalEvery, "validate every N steps (0: only at the end)")
	fs.IntVar(&o.SaveEvery, "save-every", o.SaveEvery, "checkpoint every N steps (0: only at the end); a new lowest validation loss is always saved and named in OUT/best")
	fs.IntVar(&o.SampleEvery, "sample-every", o.SampleEvery, "print a short sample (prompt|continuation) every N steps (0: never)")
	fs.BoolVar(&o.Resume, "resume", false, "continue from the checkpoint in --out")
	fs.BoolVar(&o.Overwrite, "overwrite", false, "replace an earlier run in --out (its step folders and current pointer)")
	fs.BoolVar(&jsonOut, "json", false, "print a JSON summary as the last stdout line")
	return c
}

func runTrain(o train.Options, jsonOut bool) error {
	if o.Out == "" {
		return usageErrorf("--out is empty: the run would save nothing")
	}
	fmt.Fprintf(os.Stderr, "loading data and building the tokenizer...\n")
	tr, err := train.NewTrainer(o, "")
	if err != nil {
		return err
	}
	tr.Log = os.Stderr
	c := tr.Model.Config
	fmt.Fprintf(os.Stderr, "model: %d params, vocab %d, dim %d, %d layers, %d heads (%d kv), hidden %d, ctx %d, %s, %s, %s; %d train / %d val tokens; from step %d\n",
		len(tr.Model.Params), c.Vocab, c.Dim, c.Layers, c.Heads, c.KVHeads, c.Hidden, c.Ctx, c.Norm, c.Pos, c.MLP,
		len(tr.Data.Train), len(tr.Data.Val), tr.State.Step)
	onStep, line := progressPrinter(os.Stderr, "")
	tr.OnStep = onStep
	res, err := tr.Run()
	line.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "done: %d steps, train loss %.4f, val loss %.4f, %.0f tokens/s, %.1f ms/step; checkpoint %s\n",
		res.Steps, res.TrainLoss, res.ValLoss, res.TokensPerSec, res.MSPerStep, res.Dir)
	if jsonOut {
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
	}
	return nil
}

// progressPrinter returns an OnStep callback drawing training progress on
// w through a progress.Line (a status rewritten in place on a terminal,
// plain lines in a log; validation results get lines of their own), and
// the line, to be ended with Done.
func progressPrinter(w *os.File, prefix string) (func(train.Progress), *progress.Line) {
	l := progress.New(w)
	return func(p train.Progress) {
		if p.Val != nil {
			best := ""
			if p.Best {
				best = "  (best so far)"
			}
			l.Println("%sstep %d/%d  val loss %.4f%s", prefix, p.Step, p.Steps, p.Val.Loss, best)
		}
		if p.Sample != "" {
			l.Println("%s--- sample at step %d (prompt|continuation) ---\n%s\n---", prefix, p.Step, p.Sample)
		}
		show := l.Update
		if p.Step == p.Steps {
			show = l.Final
		}
		show("%sstep %d/%d  loss %.4f  lr %.2e  |g| %.2f  %.0f tok/s  ETA %s",
			prefix, p.Step, p.Steps, p.Loss, p.LR, p.GradNorm, p.TokensPerSec, p.ETA.Round(time.Second))
	}, l
}
