/* Hand-written stand-in with the generated model's API (test fixture only).
 * y[i] = clamp(x[i] * 3 - 5 + (sum of x) / 64, -128, 127) for 256 int8 values. */
#ifndef MODEL_H
#define MODEL_H
#include <stdint.h>
#include "te_types.h"

#define MODEL_ARENA_BYTES 512
#define MODEL_GUARD_BYTES 16
#define MODEL_NUM_INPUTS 1
#define MODEL_NUM_OUTPUTS 1
#define MODEL_HASH "fa4e000000000001"
#define MODEL_MACS 512

te_status model_init(void);
te_status model_invoke(void);
void *model_input(int i);
int32_t model_input_bytes(int i);
const void *model_output(int i);
int32_t model_output_bytes(int i);
int model_guards_intact(void);
#endif
