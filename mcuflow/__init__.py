"""mcuflow: int8 TFLite models to bit-exact, memory-planned C for Arm Cortex-M."""
__version__ = "0.1.0"
