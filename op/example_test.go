package op_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/llmparts/llmparts/op"
)

func ExampleRun() {
	in := strings.NewReader(`{"op":"rms_norm","id":1,"n":4,"eps":1e-6,"x":[1,2,3,4]}
{"op":"layer_norm","id":"two","n":2,"eps":0,"x":[NaN,1,5,7]}

{"op":"rms_norm","id":3,"n":4,"eps":-1,"x":[1,2,3,4]}
`)
	failed, err := op.Run(in, os.Stdout)
	fmt.Println("failed:", failed, "err:", err)
	// Output:
	// {"id":1,"y":[0.36514834,0.7302967,1.095445,1.4605933]}
	// {"id":"two","y":[NaN,NaN,-1,1]}
	// {"id":3,"error":"op rms_norm: norm: RMSNorm: invalid parameter: eps = -1, want a finite value ≥ 0"}
	// failed: 1 err: <nil>
}

func ExampleDo() {
	resp, ok := op.Do([]byte(`{"op":"rms_norm","id":7,"n":2,"eps":0,"x":[3,4],"dy":[1,0]}`))
	fmt.Println(string(resp), ok)
	// Output: {"id":7,"dbias":[1,0],"dweight":[0.84852815,0],"dx":[0.18101934,-0.13576452],"y":[0.84852815,1.1313709]} true
}
