"""Task runner: `nox -s demo` (the main job), `nox -s tests`, `nox -s bench`."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False


def _bootstrap(session: nox.Session, *tools: str) -> None:
    """System packages (toolchains, QEMU): installed with apt-get or the exact command printed."""
    session.run("python", "scripts/bootstrap.py", *tools, external=True)


@nox.session
def demo(session: nox.Session) -> None:
    """Compile a bundled model, check it on the host, build it with PlatformIO and run it in QEMU."""
    _bootstrap(session)
    session.install("-e", ".[pio]")
    session.run("mcuflow", "demo", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The default test run (slow suites excluded)."""
    _bootstrap(session)
    session.install("-e", ".[test,pio,nas]")
    session.run("pytest", "-m", "not slow", "-n", "2", "--dist", "loadfile", *session.posargs)


@nox.session(default=False)
def tests_slow(session: nox.Session) -> None:
    """Long suites: more random configurations, every factory model on every board."""
    _bootstrap(session)
    session.install("-e", ".[test,pio,nas]")
    session.run("pytest", "-m", "slow", "-n", "2", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: peak SRAM against TF Lite Micro, then instructions/cycles per board.

    Extra arguments go to `mcuflow bench`, e.g. `nox -s bench -- --board nucleo_f411re --port /dev/ttyACM0`.
    """
    _bootstrap(session)
    session.install("-e", ".")
    session.run("mcuflow", "bench-memory")
    session.run("mcuflow", "bench", "--factory", "--json-out", "bench.json", *session.posargs)


@nox.session(default=False)
def lint(session: nox.Session) -> None:
    """ruff on the Python sources."""
    session.install("ruff")
    session.run("ruff", "check", "mcuflow", "test", "noxfile.py", "scripts")
