/* Private helpers of the pooling kernels: argument checks and window bounds. */
#ifndef TE_POOL_INTERNAL_H
#define TE_POOL_INTERNAL_H

#include "te_internal.h"
#include "te_pool.h"

static inline int te_pool_dims_ok(const te_dims *d)
{
    return d != NULL && d->n >= 1 && d->h >= 1 && d->w >= 1 && d->c >= 1;
}

static inline int te_pool_args_ok(const te_pool_params *p, const te_dims *in, const void *input, const te_dims *out,
                                  const void *output)
{
    return p != NULL && input != NULL && output != NULL && te_pool_dims_ok(in) && te_pool_dims_ok(out) &&
           in->n == out->n && in->c == out->c && p->stride.h >= 1 && p->stride.w >= 1 && p->filter.h >= 1 &&
           p->filter.w >= 1 && p->padding.h >= 0 && p->padding.w >= 0 && p->activation.min >= INT8_MIN &&
           p->activation.max <= INT8_MAX && p->activation.min <= p->activation.max;
}

/* The taps [start, end) of a window starting at `origin` that lie in [0, size). */
static inline void te_pool_window(int32_t origin, int32_t filter, int32_t size, int32_t *start, int32_t *end)
{
    *start = TE_MAX(0, -origin);
    *end = TE_MIN(filter, size - origin);
}

#endif /* TE_POOL_INTERNAL_H */
