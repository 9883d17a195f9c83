/* Private helpers of the fully connected kernels. */
#ifndef TE_FC_INTERNAL_H
#define TE_FC_INTERNAL_H

#include "../convolution/te_conv_internal.h"
#include "../convolution/te_mac_dsp.h"

/* Two outputs' dot products sharing each input load (SMLAD on int16 pairs where the DSP extension is). */
static inline void te_fc_dot2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t in_off,
                              int32_t w_off, int32_t *acc0, int32_t *acc1)
{
#if TE_DSP
    te_dot_1x2_dsp(x, w0, w1, n, in_off, w_off, acc0, acc1);
#else
    if (w_off == 0) {
        te_dot2_off(x, w0, w1, n, in_off, acc0, acc1);
        return;
    }
    int32_t a0 = *acc0, a1 = *acc1;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t xv = (int32_t)x[i] + in_off;
        a0 += xv * ((int32_t)w0[i] + w_off);
        a1 += xv * ((int32_t)w1[i] + w_off);
    }
    *acc0 = a0;
    *acc1 = a1;
#endif
}

static inline int32_t te_fc_dot(const int8_t *x, const int8_t *w, int32_t n, int32_t in_off, int32_t w_off)
{
#if TE_DSP
    return te_dot_1x1_dsp(x, w, n, in_off, w_off, 0);
#else
    if (w_off == 0) {
        return te_dot_off(x, w, n, in_off, 0);
    }
    int32_t acc = 0;
    for (int32_t i = 0; i < n; ++i) {
        acc += ((int32_t)x[i] + in_off) * ((int32_t)w[i] + w_off);
    }
    return acc;
#endif
}

/*
 * The batches of a fully connected layer, out_f outputs each; quant->multiplier/shift hold one entry per
 * output (per channel) or one for all (qstride 0). On the DSP path, layers whose shifts te_rqf takes get
 * its folded requantization and the bias in the accumulators.
 */
static inline void te_fc_run(const te_fc_params *params, const int32_t *mult, const int32_t *shift, int32_t qstride,
                             int32_t batches, int32_t in_f, int32_t out_f, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, int8_t *output)
{
    const int32_t in_off = params->input_offset, w_off = params->filter_offset, out_off = params->output_offset;
    const te_activation act = params->activation;
#if TE_DSP
    const te_per_channel_quant pq = {mult, shift};
    if (te_rqf_layer_ok(&pq, qstride ? out_f : 1)) {
        for (int32_t b = 0; b < batches; ++b) {
            const int8_t *x = input + (size_t)b * in_f;
            int32_t o = 0;
            for (; o + 2 <= out_f; o += 2) {
                int32_t acc0 = te_bias_or0(bias, o), acc1 = te_bias_or0(bias, o + 1);
                te_dot_1x2_dsp(x, filter + (size_t)o * in_f, filter + (size_t)(o + 1) * in_f, in_f, in_off, w_off,
                               &acc0, &acc1);
                output[o] = te_rqf_out(acc0, te_rqf_of(&pq, o * qstride, out_off), act, 0);
                output[o + 1] = te_rqf_out(acc1, te_rqf_of(&pq, (o + 1) * qstride, out_off), act, 0);
            }
            if (o < out_f) {
                const int32_t acc =
                    te_dot_1x1_dsp(x, filter + (size_t)o * in_f, in_f, in_off, w_off, te_bias_or0(bias, o));
                output[o] = te_rqf_out(acc, te_rqf_of(&pq, o * qstride, out_off), act, 0);
            }
            output += out_f;
        }
        return;
    }
#endif
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + (size_t)b * in_f;
        int32_t o = 0;
        /* Two outputs share each input load. */
        for (; o + 2 <= out_f; o += 2) {
            int32_t acc0 = 0, acc1 = 0;
            te_fc_dot2(x, filter + (size_t)o * in_f, filter + (size_t)(o + 1) * in_f, in_f, in_off, w_off, &acc0,
                       &acc1);
            output[o] = te_mac_finish(acc0, bias, o, mult[o * qstride], shift[o * qstride], out_off, act);
            output[o + 1] =
                te_mac_finish(acc1, bias, o + 1, mult[(o + 1) * qstride], shift[(o + 1) * qstride], out_off, act);
        }
        if (o < out_f) {
            const int32_t acc = te_fc_dot(x, filter + (size_t)o * in_f, in_f, in_off, w_off);
            output[o] = te_mac_finish(acc, bias, o, mult[o * qstride], shift[o * qstride], out_off, act);
        }
        output += out_f;
    }
}

/* Elements of a te_dims read as one flat row (h * w * c); -1 if it would not fit int32. */
static inline int32_t te_fc_row(const te_dims *d)
{
    const int64_t n = (int64_t)d->h * d->w * d->c;
    return n > INT32_MAX ? -1 : (int32_t)n;
}

/* Shared argument checks; on success fills batches / in_features / out_features. */
static inline te_status te_fc_check(const te_fc_params *params, const te_dims *input_dims, const int8_t *input,
                                    const te_dims *filter_dims, const int8_t *filter, const te_dims *output_dims,
                                    const int8_t *output, int32_t *batches, int32_t *in_features,
                                    int32_t *out_features)
{
    if (params == NULL || input == NULL || filter == NULL || output == NULL || !te_mac_dims_ok(input_dims) ||
        !te_mac_dims_ok(filter_dims) || !te_mac_dims_ok(output_dims)) {
        return TE_ERR_ARG;
    }
    *batches = input_dims->n;
    *in_features = te_fc_row(input_dims);
    *out_features = filter_dims->n;
    if (*in_features < 0 || te_fc_row(filter_dims) != *in_features || output_dims->n != *batches ||
        te_fc_row(output_dims) != *out_features) {
        return TE_ERR_ARG;
    }
    if (!te_mac_activation_ok(params->activation) || !te_mac_offsets_ok(params->input_offset, params->output_offset) ||
        params->filter_offset < -127 || params->filter_offset > 128) {
        return TE_ERR_ARG;
    }
    return TE_OK;
}

#endif /* TE_FC_INTERNAL_H */
