/**
 * @file tinyengine.h
 * @brief TinyEngine public API: bit-exact int8 kernels (TF Lite Micro arithmetic).
 *
 * Include this one header. Each kernel family has its own header below.
 */
#ifndef TINYENGINE_H
#define TINYENGINE_H

#include "te_types.h"

/* Kernel families: add one line per family header, above the #endif. */
#include "te_shape.h"
#include "te_conv.h"
#include "te_pool.h"
#include "te_softmax.h"
#include "te_elementwise.h"
#include "te_inplace.h"
#include "te_patch.h"

#endif /* TINYENGINE_H */
