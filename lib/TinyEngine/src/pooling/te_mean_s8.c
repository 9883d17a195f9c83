#include "te_pool_internal.h"

static int te_mean_flags_ok(const te_dims *r)
{
    return (r->n == 0 || r->n == 1) && (r->h == 0 || r->h == 1) && (r->w == 0 || r->w == 1) &&
           (r->c == 0 || r->c == 1);
}

int32_t te_mean_s8_get_buffer_size(const te_dims *input_dims, const te_mean_params *params)
{
    if (!te_pool_dims_ok(input_dims) || params == NULL || !te_mean_flags_ok(&params->reduce) ||
        input_dims->c > INT32_MAX / (int32_t)sizeof(int32_t)) {
        return -1;
    }
    return params->reduce.c ? 0 : input_dims->c * (int32_t)sizeof(int32_t);
}

/* Requantizes one int32 sum of `count` raw values. */
static int8_t te_mean_finish(const te_mean_params *p, int32_t sum, int32_t count)
{
    /* sum - zp_in * count in int32, as TFLM (wrapping only past its own limits). */
    const int32_t shifted = (int32_t)((uint32_t)sum + (uint32_t)p->input_offset * (uint32_t)count);
    const int32_t v = te_requantize(shifted, p->quant.multiplier, p->quant.shift) + p->output_offset;
    return (int8_t)TE_CLAMP(v, INT8_MIN, INT8_MAX);
}

te_status te_mean_s8(te_context ctx, const te_mean_params *params, const te_dims *input_dims, const int8_t *input,
                     int8_t *output)
{
    if (params == NULL || input == NULL || output == NULL || !te_pool_dims_ok(input_dims) ||
        !te_mean_flags_ok(&params->reduce) || params->quant.shift < -31 || params->quant.shift > 31 ||
        params->quant.multiplier < 0) {
        return TE_ERR_ARG;
    }
    const te_dims *r = &params->reduce;
    const int32_t d0 = input_dims->n, d1 = input_dims->h, d2 = input_dims->w, d3 = input_dims->c;
    /* Outer loops walk the kept dimensions, inner loops the reduced ones. */
    const int32_t o0 = r->n ? 1 : d0, o1 = r->h ? 1 : d1, o2 = r->w ? 1 : d2;
    const int32_t i0 = r->n ? d0 : 1, i1 = r->h ? d1 : 1, i2 = r->w ? d2 : 1;
    const int64_t count64 = (int64_t)i0 * i1 * i2 * (r->c ? d3 : 1);
    if (count64 > (1L << 23)) {
        return TE_ERR_UNSUPPORTED; /* 128 * count must fit the int32 sum */
    }
    const int32_t count = (int32_t)count64;
    int32_t *acc = NULL;
    if (!r->c) {
        const int32_t need = te_mean_s8_get_buffer_size(input_dims, params);
        if (need < 0 || ctx.buf == NULL || ctx.size < need) {
            return TE_ERR_BUFFER;
        }
        acc = (int32_t *)ctx.buf;
    }
    int8_t *out = output;
    if (acc != NULL && r->h && r->w && (!r->n || d0 == 1)) {
        /* Spatial mean per channel (global average pooling): the pooling window loop over all H x W. */
        for (int32_t a0 = 0; a0 < o0; a0++) {
            te_pool_sum_window(input + (size_t)a0 * (size_t)d1 * (size_t)d2 * (size_t)d3, d1, d2, d2 * d3, d3, acc);
            for (int32_t c = 0; c < d3; c++) {
                *out++ = te_mean_finish(params, acc[c], count);
            }
        }
        return TE_OK;
    }
    for (int32_t a0 = 0; a0 < o0; a0++) {
        for (int32_t a1 = 0; a1 < o1; a1++) {
            for (int32_t a2 = 0; a2 < o2; a2++) {
                int32_t sum = 0;
                if (acc != NULL) {
                    for (int32_t c = 0; c < d3; c++) {
                        acc[c] = 0;
                    }
                }
                for (int32_t b0 = 0; b0 < i0; b0++) {
                    for (int32_t b1 = 0; b1 < i1; b1++) {
                        for (int32_t b2 = 0; b2 < i2; b2++) {
                            const size_t pos = (((size_t)(a0 + b0) * (size_t)d1 + (size_t)(a1 + b1)) * (size_t)d2 +
                                                (size_t)(a2 + b2)) *
                                               (size_t)d3;
                            const int8_t *in = input + pos;
                            if (acc != NULL) {
                                for (int32_t c = 0; c < d3; c++) {
                                    acc[c] += in[c];
                                }
                            } else {
                                for (int32_t c = 0; c < d3; c++) {
                                    sum += in[c];
                                }
                            }
                        }
                    }
                }
                if (acc != NULL) {
                    for (int32_t c = 0; c < d3; c++) {
                        *out++ = te_mean_finish(params, acc[c], count);
                    }
                } else {
                    *out++ = te_mean_finish(params, sum, count);
                }
            }
        }
    }
    return TE_OK;
}
