"""The job author guide's Python examples run as written, and its tests pass."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "job-authors.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


def test_guide_example_job_and_its_tests_run() -> None:
    """The example job is defined, and the example tests pass against it."""
    namespace: dict[str, Any] = {}
    job_source, tests_source = _python_blocks()
    exec(compile(job_source, f"{GUIDE}:job", "exec"), namespace)  # noqa: S102 - our own docs
    exec(compile(tests_source, f"{GUIDE}:tests", "exec"), namespace)  # noqa: S102
    tests = [name for name in namespace if name.startswith("test_")]
    assert 2 == len(tests)
    for name in tests:
        namespace[name]()
