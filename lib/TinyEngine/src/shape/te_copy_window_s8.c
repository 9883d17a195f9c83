#include <string.h>

#include "te_patch.h"

static int te_window_dims_ok(const te_dims *d)
{
    return d != NULL && d->n >= 1 && d->h >= 1 && d->w >= 1 && d->c >= 1;
}

te_status te_copy_window_s8(const te_dims *src_dims, const int8_t *src, const te_window *window,
                            const te_dims *dst_dims, int8_t *dst, int32_t dst_y, int32_t dst_x)
{
    if (src == NULL || dst == NULL || window == NULL || !te_window_dims_ok(src_dims) ||
        !te_window_dims_ok(dst_dims) || src_dims->n != dst_dims->n || src_dims->c != dst_dims->c) {
        return TE_ERR_ARG;
    }
    const int32_t y = window->y, x = window->x, h = window->h, w = window->w;
    /* Written as subtractions so that no bound check can overflow. */
    if (y < 0 || x < 0 || h < 1 || w < 1 || h > src_dims->h - y || w > src_dims->w - x || dst_y < 0 ||
        dst_x < 0 || h > dst_dims->h - dst_y || w > dst_dims->w - dst_x) {
        return TE_ERR_ARG;
    }
    const size_t c = (size_t)src_dims->c;
    const size_t src_row = (size_t)src_dims->w * c, dst_row = (size_t)dst_dims->w * c;
    const size_t run = (size_t)w * c;
    for (int32_t b = 0; b < src_dims->n; ++b) {
        const int8_t *s = src + ((size_t)b * (size_t)src_dims->h + (size_t)y) * src_row + (size_t)x * c;
        int8_t *d = dst + ((size_t)b * (size_t)dst_dims->h + (size_t)dst_y) * dst_row + (size_t)dst_x * c;
        for (int32_t i = 0; i < h; ++i) {
            memcpy(d, s, run);
            s += src_row;
            d += dst_row;
        }
    }
    return TE_OK;
}
