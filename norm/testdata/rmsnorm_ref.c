/* Bit-exact references for norm.ArithGGML and norm.ArithLlama2C.
 *
 * The two row functions transcribe the float32/double arithmetic of
 * ggml_compute_forward_rms_norm_f32 (ggml/src/ggml-cpu/ops.cpp, followed by
 * ggml_mul with the weight) and of llama2.c's rmsnorm (run.c, with the eps
 * as a parameter). Build and run from the repository root:
 *
 *   gcc -O2 -ffp-contract=off -o /tmp/rmsnorm_ref norm/testdata/rmsnorm_ref.c -lm
 *   /tmp/rmsnorm_ref > norm/testdata/c_ref.json
 *
 * Output: JSON with every float written as its IEEE-754 bit pattern.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t state = 0x9E3779B97F4A7C15ull;

static uint32_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)(state >> 32);
}

/* A float32 with a random sign, a mantissa of 24 bits and an exponent
 * spread around `scale`. */
static float rnd(float scale) {
    float m = (float)(next() >> 8) / 16777216.0f; /* [0, 1) */
    int e = (int)(next() % 9) - 4;
    float v = ldexpf(m + 0.5f, e) * scale;
    return (next() & 1) ? -v : v;
}

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static void ggml_row(float *y, const float *x, const float *w, int n, float eps) {
    double sum = 0.0; /* ggml_float */
    for (int i = 0; i < n; i++) {
        sum += (double)(x[i] * x[i]);
    }
    const float mean = sum / n;
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < n; i++) {
        y[i] = x[i] * scale; /* ggml_vec_scale_f32 */
    }
    if (w) {
        for (int i = 0; i < n; i++) {
            y[i] = y[i] * w[i]; /* ggml_mul */
        }
    }
}

static void llama2c_row(float *o, const float *x, const float *w, int n, float eps) {
    float ss = 0.0f;
    for (int j = 0; j < n; j++) {
        ss += x[j] * x[j];
    }
    ss /= n;
    ss += eps;
    ss = 1.0f / sqrtf(ss);
    for (int j = 0; j < n; j++) {
        o[j] = (w ? w[j] : 1.0f) * (ss * x[j]);
    }
}

static void print_arr(const char *name, const float *v, int n, int comma) {
    printf("\"%s\":[", name);
    for (int i = 0; i < n; i++) {
        printf("%s%u", i ? "," : "", bits(v[i]));
    }
    printf("]%s", comma ? "," : "");
}

int main(void) {
    static const int dims[] = {1, 3, 4, 7, 33, 64, 288};
    static const float epss[] = {1e-5f, 1e-6f, 0.0f};
    static const float scales[] = {1.0f, 1e-3f, 30.0f};
    static float x[288], w[288], y[288];
    int first = 1;
    printf("{\"cases\":[\n");
    for (int di = 0; di < 7; di++) {
        for (int k = 0; k < 3; k++) {
            int n = dims[di];
            float eps = epss[k], scale = scales[(di + k) % 3];
            int use_w = (di + k) % 2 == 0;
            for (int i = 0; i < n; i++) {
                x[i] = rnd(scale);
                w[i] = rnd(1.0f);
            }
            for (int mode = 0; mode < 2; mode++) {
                if (mode == 0) {
                    ggml_row(y, x, use_w ? w : NULL, n, eps);
                } else {
                    llama2c_row(y, x, use_w ? w : NULL, n, eps);
                }
                printf("%s{\"mode\":\"%s\",\"n\":%d,\"eps\":%u,", first ? "" : ",\n",
                       mode == 0 ? "ggml" : "llama2c", n, bits(eps));
                first = 0;
                print_arr("x", x, n, 1);
                if (use_w) {
                    print_arr("w", w, n, 1);
                }
                print_arr("y", y, n, 0);
                printf("}");
            }
        }
    }
    printf("\n]}\n");
    return 0;
}
