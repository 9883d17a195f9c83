#include "te_elementwise_internal.h"

TE_DEFINE_DEQUANTIZE(s8, int8_t)
