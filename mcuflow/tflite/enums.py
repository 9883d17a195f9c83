"""Enum-valued operator options, shared by the reader and the writer.

The IR keeps these options as the schema's names ("SAME", "RELU6", "DEFAULT"),
so both directions must agree on which keys are enums and of which type.
"""

from __future__ import annotations

import tflite

#: Option key -> enum class of the schema.
ENUM_FOR_KEY = {
    "padding": tflite.Padding,
    "fused_activation_function": tflite.ActivationFunctionType,
    "weights_format": tflite.FullyConnectedOptionsWeightsFormat,
    "mode": tflite.MirrorPadMode,
    "type": tflite.LSHProjectionType,
    "kernel_type": tflite.LSTMKernelType,
    "combiner": tflite.CombinerType,
}


def enum_names(enum_cls) -> dict[int, str]:
    """Value -> name of a flatc-generated enum class."""
    return {v: k for k, v in vars(enum_cls).items() if not k.startswith("_") and isinstance(v, int)}
