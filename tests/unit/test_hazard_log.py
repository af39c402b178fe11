"""docs/safety/hazard-log.md and the suite stay in step (issue 9: "a test fails when a hazard names
no existing test"; issue 19, point 2: known gaps are visible in the tests).

Each hazard is a `### Hnn title` section. Its `- **Tests:**` line names the tests that prove its
control as `tests/<file>.py::<function>`; a `- **Gap test:**` line names the tests of a control
that is not there yet. What can be checked without running them is checked here:
- every named test is a top-level `def test_...` of that file;
- a test on a Tests line runs and checks something: it is not skipped (no skip or skipif mark,
  on it or on its module; no unconditional `pytest.skip()`), not an expected failure (an xfail
  proves no control), and it asserts (an `assert`, `pytest.raises` or `pytest.fail`, in itself,
  in a function of its module it calls, or in a helper it imports from tests/);
- a test on a Gap test line is marked `xfail(strict=True)` with a reason, so it turns red the
  day the control lands, and no test is both a hazard's proof and a gap;
- a hazard names at least one test on its Tests line, or, while its control is missing
  ("none yet"), on its Gap test line.
Whether a test kills the broken control is what mutation testing measures (scripts/mutation.py,
docs/safety/mutation-score.json).

And the log is a baseline a CSO can review (issue 19, points 1 and 5): it names the commit it
assessed (on main, at most 20 commits back) and the pathway.md it read; each hazard has an owner,
a status that agrees with its gap tests and its residual rating, a date, the issue that tracks it,
and the evidence its likelihoods rest on (a Very low only on a test-proven control and a named
assumption); every rating is the one the log's own matrix gives; the sections a CSO and the
deploying hospital need are there.
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "safety" / "hazard-log.md"

HAZARD = re.compile(r"^### (H\d{2,3})\b(.*)$", re.MULTILINE)
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
TESTS_LINE = re.compile(r"^- \*\*Tests:\*\*(.*)$", re.MULTILINE)
GAP_LINE = re.compile(r"^- \*\*Gap test:\*\*(.*)$", re.MULTILINE)
FIELDS = (
    "Hazard",
    "Cause",
    "Effect on the patient",
    "Initial risk",
    "Control",
    "Tests",
    "Residual risk",
    "Likelihood evidence",
    "Owner",
    "Status",
    "Date",
    "Issue",
)


def hazards() -> dict[str, str]:
    """Each hazard id and the text of its section (up to the next heading)."""
    text = LOG.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    matches = list(HAZARD.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else text.find("\n## ", match.end())
        section = text[match.start() : end if end != -1 else len(text)]
        assert match.group(1) not in found, f"{match.group(1)} appears twice"
        found[match.group(1)] = section
    return found


def named(section: str, line: re.Pattern[str]) -> list[tuple[str, str]]:
    return [ref for found in line.findall(section) for ref in TEST_REF.findall(found)]


# --- what a test file says about its tests, read without running them ---------------------------


@dataclass(frozen=True)
class NamedTest:
    name: str
    skipped: bool
    xfail_strict: bool | None  # None: not an xfail; else whether strict=True
    xfail_reason: bool
    asserts: bool


_ASSERTING_CALLS = {"raises", "fail", "fail_under"}


def _calls(node: ast.AST) -> set[str]:
    names = set()
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def _asserts_itself(node: ast.AST) -> bool:
    """An assert, pytest.raises or pytest.fail; or a `try` that lets only named exceptions
    pass (a property test: any other exception fails it)."""
    return (
        any(isinstance(n, ast.Assert) for n in ast.walk(node))
        or bool(_calls(node) & _ASSERTING_CALLS)
        or any(
            isinstance(n, ast.Try)
            and all(h.type is not None and ast.unparse(h.type) != "Exception" for h in n.handlers)
            for n in ast.walk(node)
        )
    )


def _is_mark(expression: ast.expr, *names: str) -> bool:
    """`pytest.mark.<name>` or `pytest.mark.<name>(...)`."""
    target = expression.func if isinstance(expression, ast.Call) else expression
    return (
        isinstance(target, ast.Attribute)
        and target.attr in names
        and (ast.unparse(target.value) in ("pytest.mark", "mark"))
    )


def _xfail(expression: ast.expr, functions: dict[str, ast.FunctionDef]) -> ast.Call | None:
    """The `pytest.mark.xfail(...)` call a decorator is, directly or through a function of the
    module that returns one (such as `gap(reason)`)."""
    if _is_mark(expression, "xfail"):
        return expression if isinstance(expression, ast.Call) else ast.Call(expression, [], [])
    if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name):
        helper = functions.get(expression.func.id)
        for node in ast.walk(helper) if helper else ():
            if isinstance(node, ast.Return) and node.value is not None:
                if _is_mark(node.value, "xfail") and isinstance(node.value, ast.Call):
                    return node.value
    return None


@cache
def functions_of_tests_in(path: str) -> dict[str, NamedTest]:
    return read_tests((ROOT / path).read_text(encoding="utf-8"))


def read_tests(source: str) -> dict[str, NamedTest]:
    tree = ast.parse(source)
    functions = {
        n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    helpers_from_tests = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests")
        for alias in node.names
    }
    module_skipped = any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        and any(
            _is_mark(e, "skip", "skipif") for e in ast.walk(node.value) if isinstance(e, ast.expr)
        )
        for node in tree.body
    )

    def asserts(function: ast.AST, seen: set[str]) -> bool:
        if _asserts_itself(function):
            return True
        for called in _calls(function) - seen:
            seen.add(called)
            if called in helpers_from_tests:
                return True
            if called in functions and asserts(functions[called], seen):
                return True
        return False

    found = {}
    for name, node in functions.items():
        if not name.startswith("test_"):
            continue
        xfail = next((x for d in node.decorator_list if (x := _xfail(d, functions))), None)
        keywords = {k.arg: k.value for k in xfail.keywords} if xfail else {}
        strict = keywords.get("strict")
        first = node.body[1] if ast.get_docstring(node) and len(node.body) > 1 else node.body[0]
        found[name] = NamedTest(
            name=name,
            skipped=module_skipped
            or any(_is_mark(d, "skip", "skipif") for d in node.decorator_list)
            or (isinstance(first, ast.Expr) and "skip" in _calls(first)),
            xfail_strict=None
            if xfail is None
            else isinstance(strict, ast.Constant) and strict.value is True,
            xfail_reason=xfail is not None
            and ("reason" in keywords or bool(xfail.args) or _reason_through_helper(xfail)),
            asserts=asserts(node, {name}),
        )
    return found


def _reason_through_helper(xfail: ast.Call) -> bool:
    # `gap(reason)` passes its argument on as `reason=reason`.
    return any(k.arg == "reason" for k in xfail.keywords)


# --- the log ---------------------------------------------------------------------------------


def test_the_log_has_hazards_with_unique_ascending_ids():
    # Ascending, not gapless: helpers working in parallel number their new hazards in ranges of
    # their own (the lead renumbers on merge).
    ids = HAZARD.findall(LOG.read_text(encoding="utf-8"))
    numbers = [int(hazard_id[1:]) for hazard_id, _ in ids]
    assert len(numbers) == len(set(numbers)), "hazard ids must be unique"
    assert numbers == sorted(numbers), "hazards must be listed in the order of their ids"
    assert numbers[0] == 1
    assert all(re.fullmatch(r"H\d{2,3}", hazard_id) for hazard_id, _ in ids)
    assert len(numbers) >= 30


def test_every_hazard_has_every_field():
    for hazard_id, section in hazards().items():
        for field in FIELDS:
            assert f"- **{field}:**" in section, f"{hazard_id} has no {field}"


def test_every_hazard_names_a_test_of_its_control_or_of_its_gap():
    for hazard_id, section in hazards().items():
        lines = TESTS_LINE.findall(section)
        assert len(lines) == 1, f"{hazard_id} needs exactly one Tests: line"
        assert len(GAP_LINE.findall(section)) <= 1, f"{hazard_id} has two Gap test: lines"
        if TEST_REF.findall(lines[0]):
            continue
        assert lines[0].strip().startswith("none yet"), (
            f"{hazard_id} names no test: name the tests of its control, or write 'none yet' "
            "and name the gap tests of the missing control"
        )
        assert named(section, GAP_LINE), f"{hazard_id}: no test and no gap test"


def test_every_named_test_exists():
    missing = []
    for hazard_id, section in hazards().items():
        for path, name in TEST_REF.findall(section):
            if not (ROOT / path).is_file() or name not in functions_of_tests_in(path):
                missing.append(f"{hazard_id}: {path}::{name}")
    assert missing == []


def test_every_test_of_a_control_runs_and_asserts():
    wrong = []
    for hazard_id, section in hazards().items():
        for path, name in named(section, TESTS_LINE):
            test = functions_of_tests_in(path).get(name)
            if test is None:
                continue  # test_every_named_test_exists says so
            if test.skipped:
                wrong.append(f"{hazard_id}: {path}::{name} is skipped")
            if test.xfail_strict is not None:
                wrong.append(f"{hazard_id}: {path}::{name} is an expected failure, not a proof")
            if not test.asserts:
                wrong.append(f"{hazard_id}: {path}::{name} asserts nothing")
    assert wrong == []


def test_every_gap_test_is_a_strict_expected_failure_with_its_reason():
    wrong = []
    proofs = {ref for section in hazards().values() for ref in named(section, TESTS_LINE)}
    for hazard_id, section in hazards().items():
        for path, name in named(section, GAP_LINE):
            test = functions_of_tests_in(path).get(name)
            if test is None:
                continue
            if test.xfail_strict is not True or not test.xfail_reason:
                wrong.append(
                    f"{hazard_id}: gap test {path}::{name} is not xfail(strict=True, reason=...): "
                    "if its control landed, move it to the Tests line"
                )
            if (path, name) in proofs:
                wrong.append(f"{hazard_id}: {path}::{name} is both a proof and a gap")
    assert wrong == []


def test_every_strict_expected_failure_of_the_suite_is_a_gap_the_log_lists():
    # A known gap that the log does not list is invisible to the CSO.
    gaps = {ref for section in hazards().values() for ref in named(section, GAP_LINE)}
    unlisted = [
        f"{path.relative_to(ROOT)}::{name}"
        for path in sorted((ROOT / "tests").glob("test_*.py"))
        for name, test in functions_of_tests_in(str(path.relative_to(ROOT))).items()
        if test.xfail_strict and (str(path.relative_to(ROOT)), name) not in gaps
    ]
    assert unlisted == []


_SAMPLE = """
import pytest
from tests.support.gate import gate_refusal


def gap(reason):
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


def check(x):
    assert x


@gap("the control is missing")
def test_gap():
    assert False


@pytest.mark.xfail(reason="flaky")
def test_loose_xfail():
    assert False


@pytest.mark.skipif(True, reason="no tool")
def test_skipped():
    assert True


def test_skips_itself():
    pytest.skip("not today")


def test_checks_nothing():
    print("hello")


def test_checks_through_a_helper():
    check(1)


def test_checks_through_a_support_helper():
    gate_refusal({})


def test_raises():
    with pytest.raises(ValueError):
        int("x")
"""


def test_the_reader_of_test_files_sees_what_it_looks_for():
    found = read_tests(_SAMPLE)
    assert (found["test_gap"].xfail_strict, found["test_gap"].xfail_reason) == (True, True)
    assert found["test_loose_xfail"].xfail_strict is False
    assert found["test_skipped"].skipped and found["test_skips_itself"].skipped
    assert not found["test_raises"].skipped and found["test_raises"].xfail_strict is None
    assert not found["test_checks_nothing"].asserts
    assert found["test_checks_through_a_helper"].asserts
    assert found["test_checks_through_a_support_helper"].asserts
    assert found["test_raises"].asserts
    skipped_module = read_tests('import pytest\npytestmark = pytest.mark.skip("x")\n' + _SAMPLE)
    assert skipped_module["test_raises"].skipped


def test_the_log_is_not_yet_signed_off_by_a_clinical_safety_officer():
    # Remove this test when the CSO has reviewed and signed the log.
    assert "NOT REVIEWED by a Clinical Safety Officer" in LOG.read_text(encoding="utf-8")


# --- the baseline a CSO reviews (issue 19, points 1 and 5) -----------------------------------

SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very high", "High", "Medium", "Low", "Very low")
# DCB0129/DCB0160's 5 x 5 matrix: the rating of each likelihood (row) and severity (column).
DCB_MATRIX = {
    "Very high": (3, 4, 4, 5, 5),
    "High": (2, 3, 3, 4, 5),
    "Medium": (2, 2, 3, 3, 4),
    "Low": (1, 2, 2, 3, 4),
    "Very low": (1, 1, 2, 2, 3),
}
RISK = re.compile(r"severity (\w+) / likelihood (Very high|High|Medium|Low|Very low) / rating (\d)")
SPEC = ROOT.parent / "shared" / "clinical" / "pathway.md"
ASSESSED = re.compile(r"^Assessed: commit ([0-9a-f]{7,40})\b", re.MULTILINE)
STATUSES = (
    "Controlled",
    "Partly controlled — gap test",
    "Open — gap test",
    "Open — residual rating 4, a further control is required",
    "Open — residual rating 5, a further control is required",
)


def log_text() -> str:
    return LOG.read_text(encoding="utf-8")


def field(section: str, name: str) -> str:
    """A hazard's one-line field, its continuation lines joined."""
    match = re.search(rf"^- \*\*{re.escape(name)}:\*\*(.*(?:\n  .*)*)", section, re.MULTILINE)
    assert match, f"no {name}"
    return " ".join(match.group(1).split())


def section_of(title: str) -> str:
    text = log_text()
    start = text.find(f"\n## {title}")
    assert start != -1, f"the log has no section '{title}'"
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def the_logs_matrix() -> dict[str, tuple[int, ...]]:
    table = section_of("Risk matrix")
    rows = {}
    for likelihood in LIKELIHOODS:
        row = re.search(rf"^\| {likelihood} \|(.*)\|$", table, re.MULTILINE)
        assert row, likelihood
        rows[likelihood] = tuple(int(cell) for cell in row.group(1).split("|"))
    return rows


def rating(severity: str, likelihood: str) -> int:
    return the_logs_matrix()[likelihood][SEVERITIES.index(severity)]


def test_the_logs_matrix_is_dcbs() -> None:
    assert the_logs_matrix() == DCB_MATRIX
    header = re.search(r"^\| Likelihood \\ Severity \|(.*)\|$", section_of("Risk matrix"), re.M)
    assert header and tuple(c.strip() for c in header.group(1).split("|")) == SEVERITIES


def test_every_rating_is_the_one_the_matrix_gives() -> None:
    wrong = []
    for hazard_id, section in hazards().items():
        for name in ("Initial risk", "Residual risk"):
            found = RISK.search(field(section, name))
            assert found, f"{hazard_id}: {name} is not 'severity S / likelihood L / rating N'"
            severity, likelihood, given = found.groups()
            assert severity in SEVERITIES, f"{hazard_id}: {severity}"
            if int(given) != rating(severity, likelihood):
                wrong.append(
                    f"{hazard_id} {name}: {severity} x {likelihood} is "
                    f"{rating(severity, likelihood)}, not {given}"
                )
    assert wrong == []


def _defined(prefix: str, title: str) -> set[str]:
    return set(re.findall(rf"^- \*\*({prefix}\d+)\*\*", section_of(title), re.MULTILINE))


def test_every_likelihood_says_what_evidence_it_rests_on() -> None:
    evidence, assumptions = (
        _defined("E", "How likelihoods are estimated"),
        _defined("A", "Assumptions"),
    )
    assert {"E1", "E3", "E5"} <= evidence and assumptions
    wrong = []
    for hazard_id, section in hazards().items():
        said = field(section, "Likelihood evidence")
        initial, _, residual = said.partition("; residual ")
        if not initial.startswith("initial E") or not residual.startswith("E"):
            wrong.append(f"{hazard_id}: 'initial E..; residual E..' expected: {said[:80]}")
            continue
        cited = set(re.findall(r"\b[EA]\d+\b", said))
        if unknown := cited - evidence - assumptions:
            wrong.append(f"{hazard_id}: cites {sorted(unknown)}, defined nowhere")
        ini = RISK.search(field(section, "Initial risk"))
        res = RISK.search(field(section, "Residual risk"))
        assert ini and res
        if res.group(2) == "Very low" and not (
            {"E1", "E3"} <= set(re.findall(r"\bE\d+\b", residual))
            and re.search(r"\bA\d+\b", residual)
        ):
            wrong.append(f"{hazard_id}: a residual Very low needs E1, E3 and a named assumption")
        if ini.group(2) == "Very low" and not re.search(r"\bA\d+\b", initial):
            wrong.append(f"{hazard_id}: an initial Very low needs a named assumption")
        if "- **Gap test:**" in section and not re.search(r"\bE5\b", residual):
            wrong.append(f"{hazard_id}: a missing control's residual rests on E5")
    assert wrong == []


def test_every_hazard_has_an_owner_a_status_a_date_and_its_issue() -> None:
    wrong = []
    for hazard_id, section in hazards().items():
        owner = field(section, "Owner").rstrip(".")
        status = field(section, "Status").rstrip(".")
        date = field(section, "Date").rstrip(".")
        issue = field(section, "Issue").rstrip(".")
        if len(owner) < 5:
            wrong.append(f"{hazard_id}: no owner")
        if status not in STATUSES:
            wrong.append(f"{hazard_id}: status '{status}' is none of {STATUSES}")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            wrong.append(f"{hazard_id}: date '{date}' is not YYYY-MM-DD")
        else:
            datetime.date.fromisoformat(date)
        if not re.fullmatch(r"#\d+", issue):
            wrong.append(f"{hazard_id}: issue '{issue}' is not #N")
        gap = "- **Gap test:**" in section
        proven = bool(named(section, TESTS_LINE))
        residual = RISK.search(field(section, "Residual risk"))
        assert residual
        residual_rating = rating(residual.group(1), residual.group(2))
        if gap != status.endswith("gap test"):
            wrong.append(f"{hazard_id}: status '{status}' and its gap tests disagree")
        if status == "Open — gap test" and proven:
            wrong.append(f"{hazard_id}: tests prove part of its control: 'Partly controlled'")
        if status == "Partly controlled — gap test" and not proven:
            wrong.append(f"{hazard_id}: no test proves a control: 'Open — gap test'")
        if residual_rating >= 4 and status == "Controlled":
            wrong.append(f"{hazard_id}: residual rating {residual_rating} is not controlled")
        if (
            status.startswith("Open — residual rating")
            and f"rating {residual_rating}" not in status
        ):
            wrong.append(f"{hazard_id}: status names another rating than {residual_rating}")
    assert wrong == []


def test_the_sections_a_cso_and_the_deploying_hospital_need_are_there() -> None:
    flow = section_of("System and data flow")
    for word in (
        "FHIR server",
        "terminology server",
        "outbox",
        "eHealthBox",
        "integration engine",
        "Logs",
    ):
        assert word in flow, f"System and data flow: {word}"
    assert "**Read**" in flow and "**Written**" in flow
    assert len(_defined("A", "Assumptions")) >= 5
    hand_over = section_of("DCB0160 hand-over").lower()
    for topic in (
        "dead-letter monitoring",
        "patients without a gp",
        "terminology-server decision",
        "outbox retention",
        "configuration review",
        "phone numbers",
    ):
        assert topic in hand_over, f"DCB0160 hand-over: {topic}"


def test_the_log_says_it_is_unreviewed_and_what_a_cso_must_review() -> None:
    review = section_of("What a CSO must review")
    assert "unreviewed" in review and "no Clinical Safety Officer has read or signed it" in review
    items = re.findall(r"^\d+\. ", review, re.MULTILINE)
    assert len(items) >= 5
    assert "(#what-a-cso-must-review)" in log_text()


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_log_names_the_commit_it_assessed_on_main_at_most_20_commits_back() -> None:
    found = ASSESSED.findall(log_text())
    assert len(found) == 1, "one line 'Assessed: commit <sha>'"
    commit = found[0]
    try:
        inside = _git("rev-parse", "--is-inside-work-tree").stdout.strip() == "true"
    except FileNotFoundError:  # no git: a source archive
        return
    if not inside or _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        return  # a tarball or a shallow clone cannot say
    main = "main" if _git("rev-parse", "--verify", "-q", "main").returncode == 0 else "HEAD"
    assert _git("cat-file", "-e", f"{commit}^{{commit}}").returncode == 0, f"{commit} unknown"
    assert _git("merge-base", "--is-ancestor", commit, main).returncode == 0, (
        f"the commit assessed, {commit}, is not on {main}"
    )
    behind = int(_git("rev-list", "--count", "--first-parent", f"{commit}..{main}").stdout)
    assert behind <= 20, (
        f"the log assessed {commit}, {behind} commits behind {main}: re-baseline it (re-read "
        "each hazard against the code, update each Date and the Assessed line)"
    )


def test_the_specification_link_resolves_and_is_the_one_assessed() -> None:
    text = log_text()
    links = re.findall(r"\]\(([^)#]*pathway\.md)\)", text)
    assert links, "the log links to pathway.md"
    for link in links:
        assert (LOG.parent / link).resolve() == SPEC.resolve(), link
    digest = re.search(r"pathway\.md sha256\s+([0-9a-f]{16})", text)
    assert digest, "the log names the pathway.md it assessed"
    if SPEC.is_file():  # beside a developer's checkout; CI may have the repository alone
        actual = hashlib.sha256(SPEC.read_bytes()).hexdigest()[:16]
        assert actual == digest.group(1), (
            "pathway.md changed since the log assessed it: re-baseline the log"
        )
