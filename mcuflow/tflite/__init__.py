"""Read and write .tflite flatbuffers (``reader.read_model``, ``writer.write_model``)."""

from .reader import read_model
from .writer import save_model, write_model

__all__ = ["read_model", "save_model", "write_model"]
