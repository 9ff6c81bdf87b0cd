"""Adds up the results of every suite and prints the closing line "N passed, N failed".

A suite whose result file is missing counts as one failure, so a crashed runner cannot
look like success. Exits 1 when anything failed.
"""

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def c_runtime(path: Path):
    match = re.search(r"(\d+) passed, (\d+) failed", path.read_text())
    return int(match[1]), int(match[2])


def jest(path: Path):
    data = json.loads(path.read_text())
    failed = data["numFailedTests"] + data.get("numRuntimeErrorTestSuites", 0)
    return data["numPassedTests"], failed


def pytest(path: Path):
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total = int(suite.get("tests", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0))
    return total - failed - skipped, failed + skipped  # a skipped test is not a pass


def galata(path: Path):
    stats = json.loads(path.read_text())["stats"]
    failed = stats.get("unexpected", 0) + stats.get("flaky", 0) + stats.get("skipped", 0)
    return stats.get("expected", 0), failed + (1 if stats.get("expected", 0) == 0 else 0)


def fuzz(path: Path):
    """One check per fuzz target: the status tests/fuzz/run.sh wrote for it (0: no finding)."""
    statuses = [line.split()[1] for line in path.read_text().splitlines() if line.strip()]
    if not statuses:
        raise ValueError("no fuzz target ran")
    failed = sum(1 for status in statuses if status != "0")
    return len(statuses) - failed, failed


def lint(path: Path):
    """One check per linter: the exit status test.sh wrote next to each one's output."""
    statuses = dict(line.split() for line in path.read_text().splitlines() if line.strip())
    failed = sum(1 for status in statuses.values() if status != "0")
    return len(statuses) - failed, failed


SUITES = {"lint": ("lint.txt", lint), "c-runtime": ("c.txt", c_runtime), "fuzz": ("fuzz.txt", fuzz),
          "jest": ("jest.json", jest), "pytest": ("pytest.xml", pytest), "galata": ("galata.json", galata)}


def main() -> int:
    results = Path(sys.argv[1])
    total_passed = total_failed = 0
    for name, (filename, read) in SUITES.items():
        try:
            passed, failed = read(results / filename)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, ET.ParseError) as exc:
            print(f"{name}: no results ({exc.__class__.__name__}: {exc})")
            passed, failed = 0, 1
        print(f"{name}: {passed} passed, {failed} failed")
        total_passed += passed
        total_failed += failed
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
