/*
 * ADD through two 256-entry tables: TFLM rescales each input with a factor of
 * its own before summing, so that rescale is a function of the input byte
 * alone. What is left per element is two lookups, one add, the output
 * requantization (one SMLAL, te_ew_fast.h) and the clamp, instead of three
 * double-rounding requantizations.
 */
#include "te_elementwise_internal.h"
#include "te_ew_fast.h"

te_status te_add_s8_make_table(const te_add_params *params, int32_t *table)
{
    if (!te_ew_add_params_ok(params) || table == NULL) {
        return TE_ERR_ARG;
    }
    for (int32_t x = -128; x < 128; ++x) {
        table[x + 128] = te_ew_add_input(x, params->input1_offset, params->left_shift, &params->input1_quant);
        table[x + 384] = te_ew_add_input(x, params->input2_offset, params->left_shift, &params->input2_quant);
    }
    return TE_OK;
}

/*
 * t1, t2: the tables biased by 128, indexed by the signed byte. Each element
 * is read before it is written and no other is touched in between, so an
 * output equal to an input stays correct (and the compiler may not reorder).
 */
TE_EW_INLINE void add_table_fast(const int32_t *t1, const int32_t *t2, te_ew_rqf q, te_activation act, int full,
                                 int32_t n, const int8_t *a, const int8_t *b, int8_t *o)
{
#define TE_ADD_T(k) o[k] = te_ew_clamp8(te_ew_rqf_rq((int32_t)((uint32_t)t1[a[k]] + (uint32_t)t2[b[k]]), q), act, full)
    TE_EW_UNROLL4(n, TE_ADD_T);
#undef TE_ADD_T
}

te_status te_add_table_s8(const te_add_params *params, const int32_t *table, int32_t size, const int8_t *input1,
                          const int8_t *input2, int8_t *output)
{
    if (!te_ew_add_params_ok(params) || table == NULL || size < 0 ||
        (size > 0 && (input1 == NULL || input2 == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    const int32_t *t1 = table + 128;
    const int32_t *t2 = table + 384;
    const te_quant oq = params->output_quant;
    if (!te_ew_rqf_ok(oq.multiplier, oq.shift, params->output_offset)) {
        for (int32_t i = 0; i < size; ++i) {
            output[i] = te_ew_add_finish(params, t1[input1[i]], t2[input2[i]]);
        }
        return TE_OK;
    }
    const te_ew_rqf q = te_ew_rqf_of(oq.multiplier, oq.shift, params->output_offset);
    if (te_ew_act_full(params->activation)) {
        add_table_fast(t1, t2, q, params->activation, 1, size, input1, input2, output);
    } else {
        add_table_fast(t1, t2, q, params->activation, 0, size, input1, input2, output);
    }
    return TE_OK;
}
