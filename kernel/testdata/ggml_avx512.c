// Writes ggml_avx512.txt: inputs and outputs of llama.cpp's ggml CPU ops,
// float32 as hex bits, for the arithmetic kernel/ggml.go reproduces. Built
// against llama.cpp (February 2025 snapshot, c392e5094) with GGML_NATIVE on
// an AVX-512 CPU (the committed file: AMD EPYC, AVX-512 F/DQ/VL/VNNI):
//
//	L=path/to/llama.cpp; gcc -O2 ggml_avx512.c -I$L/ggml/include -L$L/build/bin \
//	  -lggml -lggml-base -lggml-cpu -Wl,-rpath,$L/build/bin -o gen && ./gen > ggml_avx512.txt
//
// Lines: "dot N x… y… r" (ggml_mul_mat of a row by a non-contiguous row:
// ggml_vec_dot_f32), "softmax N P scale x… r…" (ggml_soft_max_ext, keys
// after P masked), "silu N x… r…" (ggml_silu), "wsum NKV HD w… v… r…"
// (ggml_mul_mat of the transposed values by three rows of weights, the
// first printed: llamafile's F32 GEMM; v is [NKV][HD]).
#include "ggml.h"
#include "ggml-cpu.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t seed = 42;
static float rnd(float scale) {
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((float)(seed >> 40) / (float)(1 << 24) * 2 - 1) * scale;
}
static void put(const float *x, int n) {
	for (int i = 0; i < n; i++) { uint32_t u; memcpy(&u, &x[i], 4); printf(" %08x", u); }
}
static struct ggml_context *ctx;
static void run(struct ggml_tensor *t) {
	struct ggml_cgraph *g = ggml_new_graph(ctx);
	ggml_build_forward_expand(g, t);
	ggml_graph_compute_with_ctx(ctx, g, 1);
}

int main(void) {
	struct ggml_init_params ip = {64 << 20, NULL, false};
	ctx = ggml_init(ip);
	int dots[] = {8, 15, 16, 24, 31, 32, 48, 64, 80, 96, 128, 136, 200, 256};
	for (unsigned c = 0; c < sizeof dots / sizeof dots[0]; c++) {
		int n = dots[c];
		struct ggml_tensor *a = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n, 1);
		struct ggml_tensor *b = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n + 3, 2);
		float *x = a->data, *y = b->data;
		for (int i = 0; i < n; i++) x[i] = rnd(1);
		for (int i = 0; i < 2 * (n + 3); i++) y[i] = rnd(1);
		// two rows of n with a gap: not contiguous, so ggml_vec_dot_f32
		struct ggml_tensor *bv = ggml_view_2d(ctx, b, n, 2, b->nb[1], 0);
		struct ggml_tensor *r = ggml_mul_mat(ctx, a, bv);
		run(r);
		for (int k = 0; k < 2; k++) {
			printf("dot %d", n); put(x, n); put(y + k * (n + 3), n); put((float *)r->data + k, 1); printf("\n");
		}
	}
	int sm[][2] = {{32, 1}, {32, 7}, {64, 20}, {64, 48}, {64, 64}, {96, 33}, {256, 200}};
	for (unsigned c = 0; c < sizeof sm / sizeof sm[0]; c++) {
		int n = sm[c][0], p = sm[c][1];
		float scale = 1.0f / sqrtf(64.0f);
		struct ggml_tensor *a = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n, 1);
		struct ggml_tensor *m = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n, GGML_KQ_MASK_PAD);
		float *x = a->data, *mk = m->data;
		for (int i = 0; i < n; i++) x[i] = rnd(8);
		for (int r = 0; r < GGML_KQ_MASK_PAD; r++)
			for (int i = 0; i < n; i++) mk[r * n + i] = i < p ? 0.0f : -INFINITY;
		struct ggml_tensor *r = ggml_soft_max_ext(ctx, a, m, scale, 0.0f);
		run(r);
		uint32_t su; memcpy(&su, &scale, 4);
		printf("softmax %d %d %08x", n, p, su); put(x, n); put(r->data, n); printf("\n");
	}
	{
		int n = 48 + 5;
		struct ggml_tensor *a = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, n);
		float *x = a->data;
		for (int i = 0; i < n; i++) x[i] = rnd(6);
		x[0] = 0; x[1] = -90; x[2] = 95; x[3] = -1e-3f;
		struct ggml_tensor *r = ggml_silu(ctx, a);
		run(r);
		printf("silu %d", n); put(x, n); put(r->data, n); printf("\n");
	}
	int ws[][3] = {{32, 32, 5}, {64, 64, 40}, {64, 32, 64}, {96, 16, 77}};
	for (unsigned c = 0; c < sizeof ws / sizeof ws[0]; c++) {
		int nkv = ws[c][0], hd = ws[c][1], p = ws[c][2];
		struct ggml_tensor *vt = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, nkv, hd); // [hd][nkv]
		// three rows of weights (a GEMM, as for a prompt): row 0 is printed
		struct ggml_tensor *w = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, nkv, 3);
		float v[96 * 64], *wv = w->data, *vd = vt->data;
		for (int k = 0; k < nkv; k++)
			for (int d = 0; d < hd; d++) { v[k * hd + d] = rnd(2); vd[d * nkv + k] = v[k * hd + d]; }
		float s = 0;
		for (int k = 0; k < nkv; k++) { wv[k] = k < p ? fabsf(rnd(1)) : 0; s += wv[k]; }
		for (int k = 0; k < p; k++) wv[k] /= s;
		for (int k = nkv; k < 3 * nkv; k++) wv[k] = rnd(1);
		struct ggml_tensor *r = ggml_mul_mat(ctx, vt, w);
		run(r);
		printf("wsum %d %d", nkv, hd); put(wv, nkv); put(v, nkv * hd); put(r->data, hd); printf("\n");
	}
	ggml_free(ctx);
	return 0;
}
