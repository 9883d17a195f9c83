"""Placeholder: filled in by the operator family that owns it."""
