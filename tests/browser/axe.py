"""Accessibility checks with axe-core (from npm) run inside the page under test.

    from tests.browser.axe import assert_accessible

    page.goto("/staff/sign-in")
    assert_accessible(page)                          # whole page
    assert_accessible(page, context="#main-content")  # part of it

``assert_accessible`` fails the test on any violation whose impact is "serious" or
"critical", listing each one (rule, help, the elements and how to fix them). Lesser
("moderate", "minor") violations do not fail the test; they are reported as an
``AxeWarning`` in pytest's warnings summary so they stay visible, as is GOV.UK Frontend's
``aria-expanded`` on inputs that reveal a question (a known, deliberate finding; see
``_govuk_conditional_reveal``).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best practices.
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice")
BLOCKING = ("serious", "critical")

_RUN = """async ({context, options}) => {
  const results = await window.axe.run(context === null ? document : context, options);
  return results.violations;
}"""


class AxeWarning(UserWarning):
    """A moderate or minor accessibility problem found by axe."""


def run_axe(page, *, context: str | None = None, tags=TAGS) -> list[dict]:
    """axe's violations on the page as it is now (axe is injected when not already there)."""
    if not AXE_JS.is_file():
        missing = AXE_JS.relative_to(ROOT)
        pytest.fail(f"axe-core is missing ({missing}): run npm install", pytrace=False)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy
        # does not govern; add_script_tag would add an inline <script> that the CSP refuses
        # (and the browser tests fail on every CSP violation, see conftest.py).
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    return page.evaluate(_RUN, {"context": context, "options": options})


def describe(violations: list[dict]) -> str:
    """One block per violation: rule, impact, help and link, then each element and its fix."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}]: {v['help']}")
        lines.append(f"  {v['helpUrl']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"  * {target}")
            lines.append(f"    {node['html'][:200]}")
            for fix in (node.get("failureSummary") or "").splitlines():
                lines.append(f"      {fix.strip()}")
    return "\n".join(lines)


def _govuk_conditional_reveal(violation: dict, node: dict) -> bool:
    """GOV.UK Frontend's radios and checkboxes that reveal a question put
    ``aria-expanded`` on the input, which ARIA does not list for a radio or checkbox. The
    Design System keeps it on purpose (screen readers announce it, and research found no
    harm; alphagov/govuk-frontend issue 979, listed as a known axe result there), so
    this one finding is a warning, not a failure. Any other attribute still fails."""
    if violation["id"] != "aria-allowed-attr":
        return False
    html = node.get("html", "")
    if "govuk-radios__input" not in html and "govuk-checkboxes__input" not in html:
        return False
    fixes = [f.strip() for f in (node.get("failureSummary") or "").splitlines()[1:]]
    return bool(fixes) and all(
        re.fullmatch(r'ARIA attribute is not allowed: aria-expanded="(true|false)"', f)
        for f in fixes
        if f
    )


def _split_known(violations: list[dict]) -> tuple[list[dict], list[dict]]:
    """(violations less the known GOV.UK Frontend findings, those findings)."""
    kept, known = [], []
    for v in violations:
        nodes = [n for n in v["nodes"] if not _govuk_conditional_reveal(v, n)]
        if len(nodes) < len(v["nodes"]):
            known.append(v | {"nodes": [n for n in v["nodes"] if n not in nodes]})
        if nodes:
            kept.append(v | {"nodes": nodes})
    return kept, known


def assert_accessible(page, *, context: str | None = None, impacts=BLOCKING) -> list[dict]:
    """Fail on violations with one of ``impacts``; warn about the rest. Returns them all."""
    violations = run_axe(page, context=context)
    checked, known = _split_known(violations)
    blocking = [v for v in checked if v["impact"] in impacts]
    others = [v for v in checked if v["impact"] not in impacts] + known
    if others:
        warnings.warn(
            AxeWarning(f"axe: lesser violations on {page.url}:\n{describe(others)}"), stacklevel=2
        )
    if blocking:
        pytest.fail(
            f"axe found {len(blocking)} {'/'.join(impacts)} accessibility violation(s) "
            f"on {page.url}:\n{describe(blocking)}",
            pytrace=False,
        )
    return violations
