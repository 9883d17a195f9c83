"""PlatformIO custom test runner for mcuflow's on-target kernel tests (Unity is not installable offline).

The target prints one line per test, ``file:line:name:PASS`` or
``file:line:name:FAIL:message``, then ``KT_DONE <n> tests <k> failures``.

Emulated envs set ``test_testing_command`` to a QEMU command line that loads
the test ELF itself (semihosting ends QEMU with the failure count), so this
runner builds in the building stage and skips uploading: the env's
``upload_command`` runs the model harness, which a test image does not speak.
Envs without ``test_testing_command`` (real boards) keep PlatformIO's flow:
build + upload, then read the board's serial port.

A target that hangs must not hang ``pio test``: the emulator is killed after
``custom_test_timeout`` seconds (default 120; the environment variable
MCUFLOW_TEST_TIMEOUT overrides it) and the suite is reported as errored.
"""

import asyncio
import os
import re
import subprocess

import click
from platformio.test.exception import UnitTestError
from platformio.test.result import TestCase, TestCaseSource, TestStatus
from platformio.test.runners.base import TestRunnerBase
from platformio.test.runners.readers.native import NativeTestOutputReader, ProgramProcessProtocol

LINE_RE = re.compile(
    r"^(?P<source_file>[^\s:][^:]*):(?P<source_line>\d+):(?P<name>[^:\s]+):"
    r"(?P<status>PASS|FAIL|SKIP)(?::(?P<message>.*))?$"
)
DONE_RE = re.compile(r"^KT_DONE (?P<tests>\d+) tests (?P<failures>\d+) failures")


class TimedTestOutputReader(NativeTestOutputReader):
    """PlatformIO's reader for ``test_testing_command`` with a time limit that kills the command."""

    def __init__(self, test_runner, timeout_s: float):
        super().__init__(test_runner)
        self.timeout_s = timeout_s

    async def gather_results(self):
        exit_future = asyncio.Future(loop=self.aio_loop)
        transport, _ = await self.aio_loop.subprocess_exec(
            lambda: ProgramProcessProtocol(self.test_runner, exit_future),
            *self.get_testing_command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            await asyncio.wait_for(exit_future, self.timeout_s)
        except asyncio.TimeoutError:
            transport.kill()
            transport.close()
            raise UnitTestError(f"no result within {self.timeout_s:g} s: the target hung (emulator killed)") from None
        for _ in range(50):  # the emulator exits right after the semihosting call
            if transport.get_returncode() is not None:
                break
            await asyncio.sleep(0.1)
        code = transport.get_returncode()
        if code is None:
            transport.kill()
        transport.close()
        if code:
            self.raise_for_status(code)


class CustomTestRunner(TestRunnerBase):
    def _emulated(self) -> bool:
        return bool(self.project_config.get(f"env:{self.test_suite.env_name}", "test_testing_command"))

    def _timeout_s(self) -> float:
        value = os.environ.get("MCUFLOW_TEST_TIMEOUT") or self.project_config.get(
            f"env:{self.test_suite.env_name}", "custom_test_timeout", "120"
        )
        return float(value)

    def stage_testing(self):
        if not self._emulated() or self.options.without_testing:
            return super().stage_testing()
        click.secho("Testing...", bold=True)
        return TimedTestOutputReader(self, self._timeout_s()).begin()

    def stage_building(self):
        if self._emulated() and not self.options.without_building:
            # Building alone: the base class builds embedded targets only together with uploading.
            from platformio.exception import ReturnErrorCode
            from platformio.test.exception import UnitTestSuiteError

            click.secho("Building...", bold=True)
            try:
                return self.run_project_targets(["__test", "checkprogsize"])
            except ReturnErrorCode as exc:
                raise UnitTestSuiteError("Building stage has failed, see errors above (`pio test -vvv`).") from exc
        return super().stage_building()

    def stage_uploading(self):
        if self._emulated():
            return None  # the testing command loads the ELF into the emulator
        return super().stage_uploading()

    def on_testing_line_output(self, line):
        click.echo(line, nl=False)
        text = line.strip()
        m = LINE_RE.match(text)
        if m:
            status = TestStatus.from_string(m.group("status"))
            self.test_suite.add_case(
                TestCase(
                    name=m.group("name"),
                    status=status,
                    message=(m.group("message") or "").strip() or None,
                    stdout=line,
                    source=TestCaseSource(m.group("source_file"), int(m.group("source_line"))),
                )
            )
            return
        if text.startswith("FAULT"):
            self.test_suite.add_case(
                TestCase(name="fault", status=TestStatus.ERRORED, message=text, stdout=line, exception=UnitTestError(text))
            )
            self.test_suite.on_finish()
            return
        d = DONE_RE.match(text)
        if d:
            if int(d.group("tests")) != len(self.test_suite.cases):
                self.test_suite.add_case(
                    TestCase(
                        name="case_count",
                        status=TestStatus.ERRORED,
                        message=f"target ran {d.group('tests')} tests, {len(self.test_suite.cases)} reported",
                        exception=UnitTestError("test count mismatch"),
                    )
                )
            self.test_suite.on_finish()
