"""Prints what the deployment tests measured (image size, idle memory, timings) at the end of the run."""

from __future__ import annotations

import pytest

from tests.deploy.stack import MEASUREMENTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if MEASUREMENTS:
        terminalreporter.section("sdmd deployment measurements")
        for name, value in MEASUREMENTS.items():
            terminalreporter.write_line(f"{name}: {value}")
