#!/usr/bin/env python3
"""Make sure the system tools mcuflow needs are on this machine.

Python packages install into nox's virtual environments; the C toolchains and
the emulator are system packages. This installs them with apt-get when it can
(root, Debian/Ubuntu) and otherwise prints the exact command to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# tool on PATH -> Debian package that provides it
TOOLS = {
    "gcc": "gcc",
    "arm-none-eabi-gcc": "gcc-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
}
# newlib has no binary on PATH; checked through the toolchain's sysroot
EXTRA_PACKAGES = ["libnewlib-arm-none-eabi"]


def newlib_present() -> bool:
    gcc = shutil.which("arm-none-eabi-gcc")
    if not gcc:
        return False
    r = subprocess.run([gcc, "-print-file-name=libc.a"], capture_output=True, text=True)
    return r.returncode == 0 and os.path.isabs(r.stdout.strip())


def missing_packages(need: list[str]) -> list[str]:
    pkgs = [TOOLS[t] for t in need if shutil.which(t) is None]
    if "arm-none-eabi-gcc" in need and not newlib_present():
        pkgs += EXTRA_PACKAGES
    return sorted(set(pkgs))


def main(argv: list[str]) -> int:
    need = argv or list(TOOLS)
    pkgs = missing_packages(need)
    if not pkgs:
        return 0
    cmd = "apt-get update && apt-get install -y " + " ".join(pkgs)
    can_apt = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if can_apt:
        print(f"bootstrap: installing {' '.join(pkgs)} with apt-get", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        ok = subprocess.run(["apt-get", "update", "-qq"], env=env).returncode == 0
        ok = ok and subprocess.run(["apt-get", "install", "-y", "-qq", *pkgs], env=env).returncode == 0
        if ok and not missing_packages(need):
            return 0
    sudo = "" if can_apt else "sudo "
    print(f"bootstrap: missing system packages: {' '.join(pkgs)}\n"
          f"bootstrap: run this, then try again:\n    {sudo}{cmd.replace('&& apt-get', '&& ' + sudo + 'apt-get')}",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
