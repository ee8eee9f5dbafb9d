// Writes glibc_sincosf.txt: "input sin cos" as float32 bits in hex, from the
// sincosf of the libm this is linked with (glibc 2.36 on an x86-64 CPU with
// FMA for the committed file). Inputs: RoPE angles p·step^i (step = powf(10000,
// -2/d), the float32 products ggml's rope forms) for several head sizes and
// positions up to 4096, then pseudo-random floats of magnitude 2^-17..2^22.
// Kept: every input where sincosf differs from the float64 functions rounded
// to float32, and every 97th input.
//
//	gcc -O2 -o gen glibc_sincosf.c -lm && ./gen > glibc_sincosf.txt
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static long k;

static void out(float y) {
	float s, c;
	sincosf(y, &s, &c);
	int differs = bits(s) != bits((float)sin(y)) || bits(c) != bits((float)cos(y));
	if (differs || k % 97 == 0) printf("%08x %08x %08x\n", bits(y), bits(s), bits(c));
	k++;
}

int main(void) {
	int dims[] = {16, 32, 64, 80, 96, 128};
	for (int d = 0; d < 6; d++) {
		float step = powf(10000.0f, -2.0f / dims[d]);
		for (int p = 0; p < 4096; p += p < 64 ? 1 : 37) {
			float th = p;
			for (int i = 0; i < dims[d] / 2; i++) { out(th); th *= step; }
		}
	}
	uint64_t s = 12345;
	for (int i = 0; i < 20000; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t u = (uint32_t)(s >> 33);
		int e = (int)((s >> 20) % 40);
		u = (u & 0x807fffff) | ((uint32_t)(110 + e) << 23);
		float f;
		memcpy(&f, &u, 4);
		out(f);
	}
	return 0;
}
