package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/llmparts/llmparts/internal/safeio"
	"github.com/llmparts/llmparts/model/spec"
)

// resumable are the options (by JSON name) a resumed run may set
// differently from the run it continues: where it stops (until, and steps
// to extend the schedule), how often it evaluates and saves, how many
// threads it uses, whether it prints samples, where the checkpoints are
// (out, resume), and its resource limits (max_memory, max_data; overwrite
// never carries over).
var resumable = map[string]bool{
	"until": true, "steps": true, "eval_every": true, "save_every": true, "sample_every": true, "threads": true,
	"out": true, "resume": true, "overwrite": true, "max_memory": true, "max_data": true,
}

// Resumable reports whether the option called name (its JSON name, or its
// flag name with "-" for "_") may differ on --resume.
func Resumable(name string) bool { return resumable[strings.ReplaceAll(name, "-", "_")] }

// SavedOptions returns the options recorded in the state.json of the
// current checkpoint of the training output folder out.
func SavedOptions(out string) (Options, error) {
	dir, err := spec.Resolve(out)
	if err != nil {
		return Options{}, fmt.Errorf("train: %w", err)
	}
	sp := filepath.Join(dir, "state.json")
	if _, err := os.Stat(sp); errors.Is(err, fs.ErrNotExist) {
		return Options{}, fmt.Errorf("train: resume: %s is missing: the step, the optimizer step count and the data order cannot be restored", sp)
	}
	b, err := safeio.ReadFile(sp, safeio.MaxConfig, "a JSON state file")
	if err != nil {
		return Options{}, fmt.Errorf("train: resume: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return Options{}, fmt.Errorf("train: resume: %s/state.json: %w", dir, err)
	}
	return st.Options, nil
}

// ResumeOptions returns the options of a run resumed from one saved with
// saved: saved itself, except for the options named in set (JSON or flag
// names: those given again on the command line), which are taken from
// given; names that are not options are ignored. --until is not
// inherited: without it the run goes on to --steps. An option given again
// must equal its saved value unless it is
// Resumable; --steps may only grow (it extends the schedule).
func ResumeOptions(saved, given Options, set []string) (Options, error) {
	out := saved
	out.Until = 0 // where the saved run stopped; this one runs on unless told
	out.Overwrite = false
	ov, gv, sv := reflect.ValueOf(&out).Elem(), reflect.ValueOf(given), reflect.ValueOf(saved)
	var bad []string
	for _, name := range set {
		name = strings.ReplaceAll(name, "-", "_")
		i := optionField(name)
		if i < 0 {
			continue // not an option of the run (e.g. --json)
		}
		g, s := gv.Field(i), sv.Field(i)
		if resumable[name] {
			ov.Field(i).Set(g)
			continue
		}
		if !reflect.DeepEqual(g.Interface(), s.Interface()) {
			bad = append(bad, fmt.Sprintf("--%s %v (the saved run has %v)", strings.ReplaceAll(name, "_", "-"), g.Interface(), s.Interface()))
		}
	}
	if len(bad) > 0 {
		return saved, fmt.Errorf("%w: --resume continues the saved run with its own options; %s differ; only --until, --steps (to extend), --eval-every, --save-every, --sample-every and --threads may change",
			ErrConfig, strings.Join(bad, ", "))
	}
	if out.Steps < saved.Steps {
		return saved, fmt.Errorf("%w: --steps %d is below the saved run's %d: --steps may only extend the schedule (use --until to stop earlier)", ErrConfig, out.Steps, saved.Steps)
	}
	out.Resume = true
	return out, nil
}

// optionDiffs lists the options (flag names) in which o differs from saved
// and that a resumed run may not change.
func optionDiffs(saved, o Options) []string {
	sv, ov := reflect.ValueOf(saved), reflect.ValueOf(o)
	var d []string
	for i := 0; i < sv.NumField(); i++ {
		name := jsonName(sv.Type().Field(i))
		if resumable[name] {
			continue
		}
		if !reflect.DeepEqual(sv.Field(i).Interface(), ov.Field(i).Interface()) {
			d = append(d, fmt.Sprintf("--%s %v (saved: %v)", strings.ReplaceAll(name, "_", "-"), ov.Field(i).Interface(), sv.Field(i).Interface()))
		}
	}
	sort.Strings(d)
	return d
}

func optionField(name string) int {
	t := reflect.TypeOf(Options{})
	for i := 0; i < t.NumField(); i++ {
		if jsonName(t.Field(i)) == name {
			return i
		}
	}
	return -1
}

func jsonName(f reflect.StructField) string {
	n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return n
}
