"""The wheel (and so the image) carries every data file the package reads at run time.

A data file under fhir_discharge/ that no package-data pattern matches is left out of the wheel:
the service would then start from a clone but not from the image (the pathway definitions,
the PDF fonts, the app's static files, the rendering templates).
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "fhir_discharge"


def _package_data_patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["setuptools"]["package-data"]["fhir_discharge"])


def _data_files() -> list[PurePosixPath]:
    return sorted(
        PurePosixPath(path.relative_to(PACKAGE).as_posix())
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    )


def _matches(file: PurePosixPath, pattern: str) -> bool:
    # setuptools globs each pattern from the package folder; "*" stays within one folder.
    return file.parent == PurePosixPath(pattern).parent and fnmatch.fnmatchcase(
        file.name, PurePosixPath(pattern).name
    )


def test_every_data_file_of_the_package_is_in_the_wheel() -> None:
    patterns = _package_data_patterns()
    left_out = [str(f) for f in _data_files() if not any(_matches(f, p) for p in patterns)]
    assert not left_out, f"not matched by [tool.setuptools.package-data]: {left_out}"


def test_every_package_data_pattern_matches_a_file() -> None:
    files = _data_files()
    stale = [p for p in _package_data_patterns() if not any(_matches(f, p) for f in files)]
    assert not stale, f"package-data patterns that match nothing (a moved folder?): {stale}"
