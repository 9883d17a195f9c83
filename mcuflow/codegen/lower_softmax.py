"""Lowering of SOFTMAX and LOG_SOFTMAX to ``te_softmax.h`` kernels.

The constants come from the helpers the NumPy reference uses
(:mod:`mcuflow.reference.softmax`), which make TF Lite Micro's Prepare
checks. For larger softmaxes the exp of every possible diff (256 values) is
computed here, bit-exactly, and stored in flash: the kernel then looks it up
instead of evaluating the fixed-point exp twice per value.
"""

from __future__ import annotations

from ..graph import Graph, Op
from ..reference.softmax import log_softmax_params, softmax_exp_table, softmax_params
from .lowering import LoweringContext, lower

#: Softmaxes with at least this many values get a 1 KiB exp table in flash.
EXP_TABLE_MIN_VALUES = 256


@lower("SOFTMAX", inplace=True)
def lower_softmax(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    p = softmax_params(graph, op)
    table = "NULL"
    if p.outer * p.depth >= EXP_TABLE_MIN_VALUES:
        table = ctx.const_array("exp", softmax_exp_table(p.input_multiplier, p.input_left_shift, p.diff_min),
                                "int32_t")
    params = ctx.struct("te_softmax_params", input_multiplier=str(p.input_multiplier),
                        input_left_shift=str(p.input_left_shift), diff_min=str(p.diff_min), exp_table=table)
    kernel = "te_softmax_s8" if p.output_dtype == "int8" else "te_softmax_s8_s16"
    ctx.call(kernel, params, str(p.outer), str(p.depth), ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0]))


@lower("LOG_SOFTMAX", inplace=True)
def lower_log_softmax(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    p = log_softmax_params(graph, op)
    params = ctx.struct("te_log_softmax_params", input_multiplier=str(p.input_multiplier),
                        input_left_shift=str(p.input_left_shift),
                        reverse_scaling_divisor=str(p.reverse_scaling_divisor),
                        reverse_scaling_right_shift=str(p.reverse_scaling_right_shift), diff_min=str(p.diff_min))
    ctx.call("te_log_softmax_s8", params, str(p.outer), str(p.depth), ctx.tensor(op.inputs[0]),
             ctx.tensor(op.outputs[0]))
