from platformio.public import PlatformBase


class McuflowarmPlatform(PlatformBase):
    """No packages to install: the toolchain is the system's arm-none-eabi-gcc."""
