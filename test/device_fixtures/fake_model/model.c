#include "model.h"

static uint8_t arena[MODEL_GUARD_BYTES + MODEL_ARENA_BYTES + MODEL_GUARD_BYTES] __attribute__((aligned(16)));
#define BUF (arena + MODEL_GUARD_BYTES)

te_status model_init(void)
{
    for (int i = 0; i < MODEL_GUARD_BYTES; i++) {
        arena[i] = 0xCD;
        arena[MODEL_GUARD_BYTES + MODEL_ARENA_BYTES + i] = 0xCD;
    }
    return TE_OK;
}

te_status model_invoke(void)
{
    const int8_t *x = (const int8_t *)BUF;
    int8_t *y = (int8_t *)(BUF + 256);
    int32_t sum = 0;
    for (int i = 0; i < 256; i++) {
        sum += x[i];
    }
    for (int i = 0; i < 256; i++) {
        int32_t v = x[i] * 3 - 5 + sum / 64;
        y[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
    return TE_OK;
}

void *model_input(int i) { return i == 0 ? BUF : 0; }
int32_t model_input_bytes(int i) { return i == 0 ? 256 : 0; }
const void *model_output(int i) { return i == 0 ? BUF + 256 : 0; }
int32_t model_output_bytes(int i) { return i == 0 ? 256 : 0; }

int model_guards_intact(void)
{
    for (int i = 0; i < MODEL_GUARD_BYTES; i++) {
        if (arena[i] != 0xCD || arena[MODEL_GUARD_BYTES + MODEL_ARENA_BYTES + i] != 0xCD) {
            return 0;
        }
    }
    return 1;
}
