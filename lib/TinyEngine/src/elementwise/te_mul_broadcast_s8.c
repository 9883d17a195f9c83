#include "te_mul_fast.h"

static void mul_row(const void *params, int32_t n, const int8_t *in1, int32_t step1, const int8_t *in2,
                    int32_t step2, int8_t *out)
{
    const te_mul_params *p = (const te_mul_params *)params;
    for (int32_t i = 0; i < n; ++i) {
        out[i] = te_ew_mul_one(p, *in1, *in2);
        in1 += step1;
        in2 += step2;
    }
}

static void mul_row_fast(const void *params, int32_t n, const int8_t *in1, int32_t step1, const int8_t *in2,
                         int32_t step2, int8_t *out)
{
    te_mul_row_fast((const te_mul_params *)params, n, in1, step1, in2, step2, out);
}

te_status te_mul_broadcast_s8(const te_mul_params *params, const te_broadcast_shape *input1_shape,
                              const int8_t *input1, const te_broadcast_shape *input2_shape, const int8_t *input2,
                              int8_t *output)
{
    if (!te_ew_mul_params_ok(params)) {
        return TE_ERR_ARG;
    }
    return te_ew_broadcast(input1_shape, input1, input2_shape, input2, output,
                           te_mul_fast_ok(params) ? mul_row_fast : mul_row, params);
}
