#include "te_elementwise_internal.h"

static void add_row(const void *params, int32_t n, const int8_t *in1, int32_t step1, const int8_t *in2,
                    int32_t step2, int8_t *out)
{
    const te_add_params *p = (const te_add_params *)params;
    for (int32_t i = 0; i < n; ++i) {
        out[i] = te_ew_add_one(p, *in1, *in2);
        in1 += step1;
        in2 += step2;
    }
}

te_status te_add_broadcast_s8(const te_add_params *params, const te_broadcast_shape *input1_shape,
                              const int8_t *input1, const te_broadcast_shape *input2_shape, const int8_t *input2,
                              int8_t *output)
{
    if (!te_ew_add_params_ok(params)) {
        return TE_ERR_ARG;
    }
    return te_ew_broadcast(input1_shape, input1, input2_shape, input2, output, add_row, params);
}
