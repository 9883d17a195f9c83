"""Verification: generated code against the oracle and the reference (host; boards in mcuflow.device)."""
