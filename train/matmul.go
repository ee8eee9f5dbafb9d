package train

import "github.com/llmparts/llmparts/kernel"

// setKernelThreads forwards the thread count to the matrix kernels.
func setKernelThreads(n int) { kernel.SetThreads(n) }

// linearForward computes out[N×n] = x[N×k] · W[n×k]ᵀ (a bias-free
// nn.Linear with PyTorch's [out, in] weight layout).
func linearForward(out, x, w []float32, N, n, k int) {
	kernel.MatMulT(out, x, w, N, n, k, false)
}

// linearBackward is the backward pass of linearForward: it writes
// dL/dW = doutᵀ·x into dw (adds it when accumDW) and writes dx = dout·W
// (adds it when accumDX; dx == nil skips it).
func linearBackward(dx, dw, dout, x, w []float32, N, n, k int, accumDX, accumDW bool) {
	// dW[n×k] (+)= doutᵀ (n×N) · x (N×k)
	kernel.Sgemm(true, false, n, k, N, 1, dout, n, x, k, beta(accumDW), dw, k)
	if dx == nil {
		return
	}
	// dx[N×k] (+)= dout (N×n) · W (n×k)
	kernel.Sgemm(false, false, N, k, n, 1, dout, n, w, k, beta(accumDX), dx, k)
}

func beta(accumulate bool) float32 {
	if accumulate {
		return 1
	}
	return 0
}
