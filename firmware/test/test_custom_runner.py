"""PlatformIO custom test runner for mcuflow's on-target kernel tests (Unity is not installable offline).

The target prints one line per test, ``file:line:name:PASS`` or
``file:line:name:FAIL:message``, then ``KT_DONE <n> tests <k> failures``.

Emulated envs set ``test_testing_command`` to a QEMU command line that loads
the test ELF itself (semihosting ends QEMU with the failure count), so this
runner builds in the building stage and skips uploading: the env's
``upload_command`` runs the model harness, which a test image does not speak.
Envs without ``test_testing_command`` (real boards) keep PlatformIO's flow:
build + upload, then read the board's serial port.
"""

import re

import click
from platformio.test.exception import UnitTestError
from platformio.test.result import TestCase, TestCaseSource, TestStatus
from platformio.test.runners.base import TestRunnerBase

LINE_RE = re.compile(
    r"^(?P<source_file>[^\s:][^:]*):(?P<source_line>\d+):(?P<name>[^:\s]+):"
    r"(?P<status>PASS|FAIL|SKIP)(?::(?P<message>.*))?$"
)
DONE_RE = re.compile(r"^KT_DONE (?P<tests>\d+) tests (?P<failures>\d+) failures")


class CustomTestRunner(TestRunnerBase):
    def _emulated(self) -> bool:
        return bool(self.project_config.get(f"env:{self.test_suite.env_name}", "test_testing_command"))

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
