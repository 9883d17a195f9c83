#include "te_fixedpoint.h"
#include "te_softmax.h"

#define TE_LOG_OUTPUT_BITS 4 /* output Q4: scale 16/256 */

te_status te_log_softmax_s8(const te_log_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                            int8_t *output)
{
    if (params == NULL || params->input_multiplier <= 0 || params->input_left_shift < 1 ||
        params->input_left_shift > 31 || params->reverse_scaling_divisor <= 0 ||
        params->reverse_scaling_right_shift < 0 || params->reverse_scaling_right_shift > 31 || params->diff_min > 0 ||
        outer < 1 || depth < 1 || input == NULL || output == NULL) {
        return TE_ERR_ARG;
    }
    const int32_t mult = params->input_multiplier;
    const int32_t shift = params->input_left_shift;
    for (int32_t i = 0; i < outer; i++) {
        const int8_t *in = input + (size_t)i * (size_t)depth;
        int8_t *out = output + (size_t)i * (size_t)depth;
        int32_t max = INT8_MIN;
        for (int32_t c = 0; c < depth; c++) {
            max = TE_MAX(max, (int32_t)in[c]);
        }
        int32_t sum = 0; /* Q12.19 */
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = (int32_t)in[c] - max;
            if (diff >= params->diff_min) {
                const int32_t e = te_fp_exp_on_negative_values(te_fp_scale_diff(diff, mult, shift),
                                                               TE_FP_SCALED_DIFF_BITS);
                sum = te_fp_add(sum, te_fp_rescale(e, 0, TE_FP_ACCUM_BITS));
            }
        }
        const int32_t log_sum = te_fp_log_x_ge_1(sum, TE_FP_ACCUM_BITS, TE_FP_SCALED_DIFF_BITS); /* Q5.26 */
        /* The smallest diff whose result is above the output minimum (TFLM's adjusted_diff_min). */
        const int32_t shifted_log_sum = te_fp_add(log_sum, INT32_MIN);
        const int32_t adjusted_diff_min =
            TE_MAX(params->diff_min - 1, te_requantize(shifted_log_sum, params->reverse_scaling_divisor,
                                                       -params->reverse_scaling_right_shift));
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = (int32_t)in[c] - max;
            int32_t v = INT8_MIN;
            if (diff > adjusted_diff_min) {
                const int32_t diff_q5 = te_fp_scale_diff(diff, mult, shift);
                v = te_rdbpot(te_fp_sub(diff_q5, log_sum), 31 - TE_FP_SCALED_DIFF_BITS - TE_LOG_OUTPUT_BITS) + INT8_MAX;
                v = TE_CLAMP(v, INT8_MIN, INT8_MAX);
            }
            out[c] = (int8_t)v;
        }
    }
    return TE_OK;
}
