"""The KMEHR 1.43 schemas, and a check of every code a message writes against its code list.

The schemas are the eHealth platform's (../shared/kmehr/, beside the repository: not copied into
it). No package registry reachable here publishes them (PyPI, npm and Maven Central were
searched, see README "The GP's eHealthBox"), so the tests that need them skip, saying so, only
when ../shared/kmehr is absent; CI has ../shared beside its clone.

kmehr_elements-1_43.xsd checks a `cd`'s list name (its S attribute) but not its value:
`<cd S="CD-TRANSACTION">nosuchthing</cd>` is schema-valid. `code_list_errors` reads the
enumeration of each list from cd-1_43.xsd (`<S>values`) and reports every code that is not in
its list, and every list that is not one of KMEHR's.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
KMEHR_SHARED = REPO.parent / "shared" / "kmehr"
XSD = KMEHR_SHARED / "xsd" / "ehealth-kmehr" / "XSD"
ELEMENTS_XSD = XSD / "kmehr_elements-1_43.xsd"
CODES_XSD = XSD / "cd-1_43.xsd"
KMEHR_NS = "http://www.ehealth.fgov.be/standards/kmehr/schema/v1"
_XS = "{http://www.w3.org/2001/XMLSchema}"
NS = {"k": KMEHR_NS}


def require_schemas() -> None:
    """Skip the calling test when the schemas are not beside the repository."""
    if not ELEMENTS_XSD.is_file() or not CODES_XSD.is_file():
        pytest.skip(
            f"the KMEHR 1.43 schemas are not at {KMEHR_SHARED} (../shared/kmehr beside the "
            "repository); no package registry reachable here publishes them"
        )


@functools.cache
def kmehr_schema() -> etree.XMLSchema:
    require_schemas()
    return etree.XMLSchema(etree.parse(str(ELEMENTS_XSD)))


@functools.cache
def code_lists() -> dict[str, frozenset[str]]:
    """Each KMEHR code list of cd-1_43.xsd by its name (CD-TRANSACTION, ...): its values."""
    require_schemas()
    tree = etree.parse(str(CODES_XSD))
    lists: dict[str, frozenset[str]] = {}
    for simple_type in tree.getroot().iter(f"{_XS}simpleType"):
        name = simple_type.get("name") or ""
        if name.endswith("values"):
            values = simple_type.iter(f"{_XS}enumeration")
            lists[name.removesuffix("values")] = frozenset(e.get("value") for e in values)
    return lists


def schema_errors(message: bytes) -> list[str]:
    schema = kmehr_schema()
    if schema.validate(etree.fromstring(message)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def code_list_errors(message: bytes) -> list[str]:
    """Every `cd` whose value is not in the list its S names (or whose list is not KMEHR's),
    and every link whose TYPE or MEDIATYPE is not in CD-LNK / CD-MEDIATYPE."""
    lists = code_lists()
    root = etree.fromstring(message)
    errors: list[str] = []
    for cd in root.iter(f"{{{KMEHR_NS}}}cd"):
        scheme, value = cd.get("S"), (cd.text or "")
        if scheme not in lists:
            errors.append(f"{scheme!r} is not a KMEHR code list")
        elif value not in lists[scheme]:
            errors.append(f"{value!r} is not in {scheme}")
    for lnk in root.iter(f"{{{KMEHR_NS}}}lnk"):
        for attribute, scheme in (("TYPE", "CD-LNK"), ("MEDIATYPE", "CD-MEDIATYPE")):
            value = lnk.get(attribute)
            if value is not None and value not in lists[scheme]:
                errors.append(f"{attribute} {value!r} is not in {scheme}")
    return errors


def codes_written(message: bytes) -> dict[str, set[str]]:
    """The codes of the message by list: what the checker checked."""
    found: dict[str, set[str]] = {}
    for cd in etree.fromstring(message).iter(f"{{{KMEHR_NS}}}cd"):
        found.setdefault(cd.get("S") or "", set()).add(cd.text or "")
    return found
