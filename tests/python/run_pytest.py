#!/usr/bin/env python3
"""Runs pytest on the given files for ctest: exit 77 (ctest: skipped) when
this Python has no pytest, or when every test was skipped (e.g. no Chromium),
so a skip is not reported as a pass, nor a missing tool as a failure."""
import sys

try:
    import pytest
except ImportError:
    print(f"skipped: {sys.executable} has no pytest (scripts/test makes a venv that has it)")
    sys.exit(77)


class Outcomes:
    def __init__(self):
        self.ran = self.skipped = 0

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and report.skipped):
            self.ran += 1
            self.skipped += report.skipped


outcomes = Outcomes()
code = pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]], plugins=[outcomes])
if code == 0 and outcomes.ran and outcomes.skipped == outcomes.ran:
    sys.exit(77)
sys.exit(int(code))
