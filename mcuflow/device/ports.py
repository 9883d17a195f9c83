"""Find a connected board's serial port, so `--port` can be left out.

Boards enumerate as USB CDC devices: ST-LINK's virtual COM port, Arduino's
and Raspberry Pi's USB stacks, or a USB-serial adapter. When exactly one such
port is present it is the board; otherwise the user is told which ports were
seen and asked to pick one with ``--port``.
"""

from __future__ import annotations

from ..errors import McuflowError

#: USB vendor ids of the probes and boards we build for.
KNOWN_VIDS = {
    0x0483: "STMicroelectronics ST-LINK",
    0x2341: "Arduino",
    0x2E8A: "Raspberry Pi",
    0x0D28: "Arm DAPLink",
    0x1366: "SEGGER J-Link",
    0x0403: "FTDI USB-serial",
    0x10C4: "Silicon Labs USB-serial",
    0x1A86: "WCH USB-serial",
}


def candidate_ports() -> list[tuple[str, str]]:
    """(device, description) of every serial port that looks like a board."""
    from serial.tools import list_ports

    out = []
    for p in list_ports.comports():
        known = p.vid in KNOWN_VIDS
        if known or "ttyACM" in p.device or "usbmodem" in p.device:
            out.append((p.device, KNOWN_VIDS.get(p.vid, p.description or "USB serial")))
    return sorted(out)


def find_port(board_name: str) -> str:
    """The one connected board's port, or an error that lists what was found."""
    ports = candidate_ports()
    if len(ports) == 1:
        return ports[0][0]
    if not ports:
        raise McuflowError(f"{board_name} is a real board and no serial port of a board was found: connect it, "
                           "or give its port with --port /dev/ttyACM0")
    listing = ", ".join(f"{dev} ({desc})" for dev, desc in ports)
    raise McuflowError(f"{board_name}: several serial ports look like boards ({listing}); pick one with --port")
