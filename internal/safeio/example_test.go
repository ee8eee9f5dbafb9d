package safeio_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmparts/llmparts/internal/safeio"
)

func Example() {
	dir, _ := os.MkdirTemp("", "safeio")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "config.json")
	os.WriteFile(p, []byte(`{"hidden_size": 64}`), 0o644)

	b, err := safeio.ReadFile(p, safeio.MaxConfig, "a JSON config file")
	fmt.Println(string(b), err)
	_, err = safeio.ReadFile(p, 8, "a JSON config file")
	fmt.Println(err != nil)
	_, err = safeio.ReadFile(dir, safeio.MaxConfig, "")
	fmt.Println(err != nil)
	// Output:
	// {"hidden_size": 64} <nil>
	// true
	// true
}
