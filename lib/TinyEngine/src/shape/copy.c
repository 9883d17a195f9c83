#include <string.h>

#include "te_shape.h"

te_status te_copy(const void *input, void *output, int32_t size)
{
    if (size < 0 || ((input == NULL || output == NULL) && size > 0)) {
        return TE_ERR_ARG;
    }
    if (size > 0 && input != output) {
        memmove(output, input, (size_t)size);
    }
    return TE_OK;
}
