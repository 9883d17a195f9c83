"""Errors a user sees: one line that says what is wrong and where."""


class McuflowError(Exception):
    """Base class: the CLI prints the message and exits with code 2."""


class ModelError(McuflowError):
    """A malformed, truncated or unreadable model file."""


class UnsupportedError(McuflowError):
    """A valid model that uses an operator, dtype or option we do not implement."""

    def __init__(self, message: str, op_index: int | None = None, op_type: str | None = None):
        where = ""
        if op_index is not None:
            where = f"operator {op_index} ({op_type}): "
        super().__init__(where + message)
        self.op_index = op_index
        self.op_type = op_type


class DoesNotFitError(McuflowError):
    """The model's memory plan exceeds a board's budget."""


class VerificationError(McuflowError):
    """Generated code and the oracle disagree."""
