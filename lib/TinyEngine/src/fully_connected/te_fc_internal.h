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
