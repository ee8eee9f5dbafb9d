// Package spec is the model description that the two executors share:
// train (forward and backward, flat parameters, AdamW) and model
// (inference with a KV cache, every family) run the same networks, as
// llm.c keeps a training and an inference program over one description.
//
// What is shared lives here, once:
//
//   - the checkpoint-folder rule (Resolve, ResolveFS): which folder of a
//     training output or a checkpoint holds the model;
//   - the layer kinds (NormKind, PosKind, MLPKind), which model re-exports
//     and train's string constants take their values from;
//   - config.json of a trainer checkpoint (Config) with its defaults and
//     checks (Config.Check): train writes it, train and model read it;
//   - the tensor names (Role): llama.cpp's GGUF name of every role
//     (Role.GGUFName) and the Hugging Face Llama names the trainer writes
//     (TrainerName, HFLlamaNames), used by train's layout, model's
//     checkpoint binder and families, and export.
//
// Each executor keeps its own Config of what it runs (model.Config adds
// every family's variations; train.Config is the trainer's flag set) and
// its own size limits; both convert from and to this one schema.
//
// It is a leaf package (it imports no other part of the project except
// internal/safeio) so that both executors, export and cmd import it without
// cycles: model cannot import train (train's loader is model's test
// oracle, and model's tests import train), and train should not import
// model (it would pull the inference runtime, its kernels and formats into
// the trainer, and model's internal tests would then form an import cycle).
package spec
