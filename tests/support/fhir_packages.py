"""The FHIR packages our profiles are written against (profiles/dependencies.json), found where
FHIR tools keep them: a FHIR package cache,
`${FHIR_HOME:-$HOME}/.fhir/packages/<name>#<version>/package`.

HL7 Belgium's core profiles (hl7.fhir.be.core) are on no registry CI reaches; their licence is
CC0, so the repository holds a build of the pinned version compiled from its public source
(profiles/dependencies.json `vendored`). A FHIR package cache holding the pinned version is
preferred; where neither is there, `be_core()` is None and the tests that need it are skipped,
saying why.

Our profiles type the letter's parties to be-core's profiles (profiles/input/fsh/be-core.fsh). A
validator without be-core cannot resolve those targets and reports an error at every reference
to them, whatever the resource. So where be-core is absent the HAPI test server is given
`conformance_without_be_core()`: our profiles with each be-core target replaced by the base type
it constrains (profiles/dependencies.json `referenced`), and nothing else changed. Everything but
the be-core conformance of the parties is still validated; that is tested only where be-core is
(tests/integration/test_be_core.py, skipped elsewhere, saying why).

`TEST_PACKAGE` is a small package of our own (tests/fixtures), loaded by the HAPI test server in
every run, so the way packages reach its validator is tested even where be-core is absent.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE_DIR = REPO / "profiles" / "fsh-generated" / "resources"
DEPENDENCIES = REPO / "profiles" / "dependencies.json"
TEST_PACKAGE = (
    REPO / "tests" / "fixtures" / "fhir-packages" / "fhir-discharge.test-dependency" / "package"
)
TEST_PACKAGE_PATIENT = (
    "https://fhir.uzleuven.be/discharge/test/StructureDefinition/test-dependency-patient"
)
BE_CORE = "hl7.fhir.be.core"


@dataclass(frozen=True)
class FhirPackage:
    name: str
    version: str
    canonical: str
    folder: Path  # the unpacked package: package.json and the resources

    def resources(self, resource_type: str) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.folder.glob(f"{resource_type}-*.json")):
            resource = json.loads(path.read_text(encoding="utf-8"))
            if resource.get("resourceType") == resource_type:
                found.append(resource)
        return found

    def profile(self, name: str) -> str:
        """The canonical URL of one of its StructureDefinitions, by id."""
        return f"{self.canonical}/StructureDefinition/{name}"


def pinned(name: str) -> dict[str, Any]:
    for package in json.loads(DEPENDENCIES.read_text(encoding="utf-8"))["packages"]:
        if package["name"] == name:
            return dict(package)
    raise KeyError(f"{name} is not pinned in {DEPENDENCIES}")


def package_cache() -> Path:
    return Path(os.environ.get("FHIR_HOME") or Path.home()) / ".fhir" / "packages"


def cached(name: str) -> FhirPackage | None:
    """The pinned version of a package in the FHIR package cache, or None when it is not there
    (or is not the pinned version: its package.json must say so)."""
    pin = pinned(name)
    folder = package_cache() / f"{name}#{pin['version']}" / "package"
    manifest = folder / "package.json"
    if not manifest.is_file():
        return None
    declared = json.loads(manifest.read_text(encoding="utf-8"))
    if declared.get("name") != name or declared.get("version") != pin["version"]:
        return None
    return FhirPackage(name, pin["version"], pin["canonical"], folder)


def vendored(name: str) -> FhirPackage | None:
    """The pinned version held in this repository (profiles/dependencies.json `vendored`)."""
    pin = pinned(name)
    if "vendored" not in pin:
        return None
    folder = REPO / pin["vendored"]
    manifest = folder / "package.json"
    if not manifest.is_file():
        return None
    declared = json.loads(manifest.read_text(encoding="utf-8"))
    if declared.get("name") != name or declared.get("version") != pin["version"]:
        return None
    return FhirPackage(name, pin["version"], pin["canonical"], folder)


def be_core() -> FhirPackage | None:
    return cached(BE_CORE) or vendored(BE_CORE)


def be_core_absent_reason(unverified: str = "") -> str:
    """Why a test against be-core does not run, and what therefore is not verified in this run."""
    pin = pinned(BE_CORE)
    lead = f"be-core ABSENT, NOT VERIFIED in this run: {unverified}. " if unverified else ""
    return (
        f"{lead}{BE_CORE}#{pin['version']} is neither in the FHIR package cache "
        f"({package_cache() / (BE_CORE + '#' + pin['version'])}) nor at "
        f"{pin.get('vendored', '(no vendored folder)')}: it is on no package registry "
        "this machine or CI reaches (the npm registry answers 404; the FHIR package registries "
        "are unreachable) (profiles/dependencies.json)"
    )


def be_core_targets() -> dict[str, str]:
    """Canonical URL of each be-core profile our profiles reference -> the base type's URL."""
    pin = pinned(BE_CORE)
    return {
        f"{pin['canonical']}/StructureDefinition/{profile}": (
            f"http://hl7.org/fhir/StructureDefinition/{resource_type}"
        )
        for profile, resource_type in pin["referenced"].items()
    }


def targets_under(canonical: str, node: Any) -> set[str]:
    """Every type.targetProfile under a canonical base in a StructureDefinition (or any JSON)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "targetProfile" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str) and v.startswith(canonical))
            else:
                found |= targets_under(canonical, value)
    elif isinstance(node, list):
        for item in node:
            found |= targets_under(canonical, item)
    return found


def _relaxed(node: Any, replacements: dict[str, str]) -> Any:
    if isinstance(node, dict):
        relaxed = {}
        for key, value in node.items():
            if key == "targetProfile" and isinstance(value, list):
                value = list(dict.fromkeys(replacements.get(v, v) for v in value))
            relaxed[key] = _relaxed(value, replacements)
        return relaxed
    if isinstance(node, list):
        return [_relaxed(item, replacements) for item in node]
    return node


def conformance_without_be_core(into: Path, source: Path = CONFORMANCE_DIR) -> Path:
    """A copy of our conformance resources in `into` with every be-core target replaced by the
    base type it constrains. A be-core target not in profiles/dependencies.json `referenced` is
    an error: it would otherwise reach the validator unresolvable."""
    replacements = be_core_targets()
    canonical = pinned(BE_CORE)["canonical"] + "/"
    into.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.json")):
        resource = json.loads(path.read_text(encoding="utf-8"))
        unknown = targets_under(canonical, resource) - replacements.keys()
        if unknown:
            raise ValueError(f"{path.name} targets be-core profiles not pinned: {sorted(unknown)}")
        relaxed = _relaxed(resource, replacements)
        (into / path.name).write_text(json.dumps(relaxed, indent=2) + "\n", encoding="utf-8")
    return into


def hapi_conformance_dir(workdir: Path) -> Path:
    """What the HAPI test server validates against: our profiles as they are where be-core is in
    the package cache (it is loaded beside them), else `conformance_without_be_core()`."""
    if be_core() is not None:
        return CONFORMANCE_DIR
    return conformance_without_be_core(workdir / "conformance-without-be-core")


def hapi_packages() -> list[Path]:
    """The package folders the HAPI test server loads: ours for the tests, be-core when cached."""
    found = [TEST_PACKAGE]
    package = be_core()
    if package is not None:
        found.append(package.folder)
    return found
