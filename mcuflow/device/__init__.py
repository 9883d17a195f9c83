"""Running generated models on boards: serial protocol, harness, emulator backends."""
