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

/*
 * The variants apart, each with its constants in registers (out of te_mul_broadcast_s8's frame): int8's
 * whole range in place (the code generator's call) or not, and an activation clamp.
 */
TE_NOINLINE static void mul_se_full_inplace(const te_mul_params *p, int32_t n_pix, int32_t n_ch, const int8_t *x,
                                            int32_t off_x, const int8_t *y, int32_t off_y, int8_t *out)
{
    te_mul_se_all(p, n_pix, n_ch, x, off_x, y, off_y, out, 1, 1);
}

TE_NOINLINE static void mul_se_full(const te_mul_params *p, int32_t n_pix, int32_t n_ch, const int8_t *x,
                                    int32_t off_x, const int8_t *y, int32_t off_y, int8_t *out)
{
    te_mul_se_all(p, n_pix, n_ch, x, off_x, y, off_y, out, 1, 0);
}

TE_NOINLINE static void mul_se_clamp(const te_mul_params *p, int32_t n_pix, int32_t n_ch, const int8_t *x,
                                     int32_t off_x, const int8_t *y, int32_t off_y, int8_t *out)
{
    te_mul_se_all(p, n_pix, n_ch, x, off_x, y, off_y, out, 0, 0);
}

/* Fewer pixels than this and the per-channel set-up of te_mul_se_all costs more than the per-pixel rows. */
#define TE_MUL_SE_MIN_PIXELS 4

/* Shape s is [C] or [1, ..., 1, C] with C >= 1 (a valid rank). */
static int se_channel_vector(const te_broadcast_shape *s)
{
    if (s->rank < 1 || s->rank > TE_ELEMENTWISE_MAX_DIMS || s->dims[s->rank - 1] < 1) {
        return 0;
    }
    for (int32_t k = 0; k + 1 < s->rank; ++k) {
        if (s->dims[k] != 1) {
            return 0;
        }
    }
    return 1;
}

/*
 * Whether `big` has `c` channels innermost and valid dims; *n_pix gets its pixel count. The broadcast of a
 * channel vector against it is then big's own shape (leading 1s aside), in big's row-major order.
 */
static int se_pixels(const te_broadcast_shape *big, int32_t c, int32_t *n_pix)
{
    if (big->rank < 1 || big->rank > TE_ELEMENTWISE_MAX_DIMS || big->dims[big->rank - 1] != c) {
        return 0;
    }
    int64_t n = 1;
    for (int32_t k = 0; k + 1 < big->rank; ++k) {
        if (big->dims[k] < 0) {
            return 0;
        }
        n *= big->dims[k];
        if (n > INT32_MAX) {
            return 0;
        }
    }
    *n_pix = (int32_t)n;
    return 1;
}

te_status te_mul_broadcast_s8(const te_mul_params *params, const te_broadcast_shape *input1_shape,
                              const int8_t *input1, const te_broadcast_shape *input2_shape, const int8_t *input2,
                              int8_t *output)
{
    if (!te_ew_mul_params_ok(params)) {
        return TE_ERR_ARG;
    }
    if (input1_shape != NULL && input2_shape != NULL && input1 != NULL && input2 != NULL && output != NULL &&
        te_mul_se_ok(params)) {
        /* The squeeze-and-excite pattern, either operand the per-channel one: channel by channel. */
        int32_t n_pix = 0;
        const int small2 = se_channel_vector(input2_shape) &&
                           se_pixels(input1_shape, input2_shape->dims[input2_shape->rank - 1], &n_pix) &&
                           n_pix >= TE_MUL_SE_MIN_PIXELS;
        const int small1 = !small2 && se_channel_vector(input1_shape) &&
                           se_pixels(input2_shape, input1_shape->dims[input1_shape->rank - 1], &n_pix) &&
                           n_pix >= TE_MUL_SE_MIN_PIXELS;
        if (small1 || small2) {
            const int8_t *x = small2 ? input1 : input2;
            const int8_t *y = small2 ? input2 : input1;
            const int32_t off_x = small2 ? params->input1_offset : params->input2_offset;
            const int32_t off_y = small2 ? params->input2_offset : params->input1_offset;
            const int32_t n_ch = small2 ? input2_shape->dims[input2_shape->rank - 1]
                                        : input1_shape->dims[input1_shape->rank - 1];
            const int full = te_ew_act_full(params->activation);
            (!full ? mul_se_clamp : x == output ? mul_se_full_inplace : mul_se_full)(params, n_pix, n_ch, x, off_x,
                                                                                     y, off_y, output);
            return TE_OK;
        }
    }
    return te_ew_broadcast(input1_shape, input1, input2_shape, input2, output,
                           te_mul_fast_ok(params) ? mul_row_fast : mul_row, params);
}
