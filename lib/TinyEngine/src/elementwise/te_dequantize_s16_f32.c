#include "te_elementwise_internal.h"

TE_DEFINE_DEQUANTIZE(s16, int16_t)
