#include "te_elementwise_internal.h"

TE_DEFINE_DEQUANTIZE(u8, uint8_t)
