package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/llmparts/llmparts"
	"github.com/llmparts/llmparts/serve"
)

// Serve the embedded default model and ask for a greedy completion.
func Example() {
	m, err := llmparts.OpenDefault()
	if err != nil {
		panic(err)
	}
	defer m.Close()
	s := serve.New(serve.Options{Parallel: 2})
	if err := s.SetModel(m); err != nil {
		panic(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/v1/completions", "application/json",
		strings.NewReader(`{"prompt": "func main() {\n\tfmt.Println(", "max_tokens": 14, "temperature": 0}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Text         string `json:"text"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		panic(err)
	}
	fmt.Printf("%q %s %d\n", out.Choices[0].Text, out.Choices[0].FinishReason, out.Usage.CompletionTokens)
	// Output: "fmt.Fprintf(w, \"\")\n\tfmt.F" length 14
}
