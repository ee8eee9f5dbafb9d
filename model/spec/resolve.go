package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/llmparts/llmparts/internal/safeio"
)

// ConfigFile is the file that makes a folder a checkpoint folder.
const ConfigFile = "config.json"

// CurrentFile is the pointer file of a training output folder: one line
// naming the step folder that holds the current checkpoint. The trainer
// replaces it atomically after the folder it names is complete.
const CurrentFile = "current"

// ResolveFS returns the checkpoint folder for the folder dir of fsys
// (dir "." for the root), by one rule:
//
//  1. dir holding config.json is a checkpoint folder itself (a trainer's
//     step folder, a Hugging Face folder, an embedded model), even if it
//     also has a current file;
//  2. otherwise dir is a training output folder: its file current names a
//     sub-folder of dir, one plain name (no separators, not "." or "..");
//     the result is dir/name;
//  3. otherwise it is an error.
//
// The current file is read with a size cap and must be a regular file.
func ResolveFS(fsys fs.FS, dir string) (string, error) { return resolve(fsys, dir, dir) }

// resolve is ResolveFS naming the folder shown in errors.
func resolve(fsys fs.FS, dir, shown string) (string, error) {
	if _, err := fs.Stat(fsys, path.Join(dir, ConfigFile)); err == nil {
		return dir, nil
	}
	cur := path.Join(dir, CurrentFile)
	if _, err := fs.Stat(fsys, cur); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s is neither a checkpoint folder (no %s) nor a training output folder (no %q file)", shown, ConfigFile, CurrentFile)
	}
	b, err := safeio.ReadFileFS(fsys, cur, safeio.MaxPointer, "a checkpoint pointer")
	if err != nil {
		if shown != dir {
			return "", fmt.Errorf("%s: %w", shown, err)
		}
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || !fs.ValidPath(name) {
		return "", fmt.Errorf("%s names an invalid folder %q (want one step folder name)", path.Join(shown, CurrentFile), name)
	}
	return path.Join(dir, name), nil
}

// Resolve is ResolveFS for a folder of the operating system: it returns
// dir itself or dir joined with the name in dir/current.
func Resolve(dir string) (string, error) {
	d, err := resolve(os.DirFS(dir), ".", filepath.ToSlash(dir))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.FromSlash(d)), nil
}
