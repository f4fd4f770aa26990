"""The settings table in docs/operator.md lists exactly the variables the operator reads.

`scheduledjob_operator.settings.VARIABLES` is the one statement of each variable's name and
default; this test keeps the platform teams' documentation from drifting away from it.

A default cell reads `FALLBACK`, else `FALLBACK`, else `DEFAULT`: the other variables consulted
in order, then the value used. `unset` means no value, and a closing `(...)` explains it.
"""

from __future__ import annotations

import re
from pathlib import Path

from scheduledjob_operator import settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operator.md"
_ROW = re.compile(r"^\| `(?P<name>[A-Z][A-Z0-9_]*)` \| (?P<default>[^|]*) \|")


def _settings_section() -> str:
    text = DOC.read_text()
    start = text.index("\n## Settings\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _parse_default(cell: str) -> tuple[str | None, tuple[str, ...]]:
    """The default and the fallback variables a table cell states."""
    cell = re.sub(r"\s*\([^)]*\)$", "", cell.strip())
    *fallbacks, default = (part.strip().strip("`") for part in cell.split(", else "))
    return (None if default == "unset" else default), tuple(fallbacks)


def _documented() -> dict[str, tuple[str | None, tuple[str, ...]]]:
    rows = (_ROW.match(line) for line in _settings_section().splitlines())
    return {row["name"]: _parse_default(row["default"]) for row in rows if row}


def _defined() -> dict[str, tuple[str | None, tuple[str, ...]]]:
    return {
        variable.name: (variable.default, variable.fallbacks) for variable in settings.VARIABLES
    }


def test_parse_default_reads_fallbacks_and_unset() -> None:
    """The cell grammar: fallbacks before the last `, else `, `unset` and a closing remark."""
    assert ("default", ("POD_NAMESPACE",)) == _parse_default("`POD_NAMESPACE`, else `default`")
    assert (None, ()) == _parse_default("unset (no push)")
    assert ("8080", ()) == _parse_default("8080")


def test_doc_lists_every_setting_the_code_defines() -> None:
    """Same variables, none missing and none extra."""
    assert sorted(_defined()) == sorted(_documented())


def test_doc_states_the_code_defaults() -> None:
    """Each variable's documented default and fallbacks are the ones `load` applies."""
    assert _defined() == _documented()


def test_defaults_are_what_load_applies() -> None:
    """With no environment, `load` turns each variable's default into the setting."""
    loaded = settings.load({})
    defaults = (
        settings.DEFAULT_IMAGE_VARIABLE.default,
        settings.LOG_FORMAT.default,
        settings.METRICS_PORT.default,
        settings.HEALTH_PORT.default,
        settings.IDENTITY.default,
    )
    assert defaults == (
        loaded.run.default_image,
        loaded.log_format,
        str(loaded.metrics_port),
        str(loaded.health_port),
        loaded.identity,
    )
