"""Read and write .tflite flatbuffers (``reader.read_model``, ``writer.write_model``)."""

from .writer import save_model, write_model

try:  # the reader lands separately; keep the writer importable without it
    from .reader import read_model  # noqa: F401
except ImportError:  # pragma: no cover
    pass
