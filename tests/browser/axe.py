"""Accessibility checks with axe-core (from npm) run inside the page under test.

    from tests.browser.axe import assert_accessible

    page.goto("/staff/sign-in")
    assert_accessible(page)                          # whole page
    assert_accessible(page, context="#main-content")  # part of it

``assert_accessible`` fails the test on any violation whose impact is "serious" or
"critical", listing each one (rule, help, the elements and how to fix them). Lesser
("moderate", "minor") violations do not fail the test; they are reported as an
``AxeWarning`` in pytest's warnings summary so they stay visible.
"""

from __future__ import annotations

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
        page.add_script_tag(path=str(AXE_JS))
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


def _govuk_conditional_radio(violation: dict) -> bool:
    """GOV.UK Frontend's one known axe finding, which it keeps on purpose: a radio that
    reveals a question carries ``aria-expanded`` (screen readers announce it; ARIA does not
    list it for radios). alphagov/govuk-frontend#979, documented in #1280. Only that: the
    rule, on GOV.UK radios with a conditional panel, with aria-expanded the only fault."""
    if violation["id"] != "aria-allowed-attr":
        return False
    for node in violation["nodes"]:
        html = node["html"]
        summary = (node.get("failureSummary") or "").splitlines()[1:]
        if 'class="govuk-radios__input"' not in html or 'aria-controls="conditional-' not in html:
            return False
        if not summary or not all("aria-expanded=" in line for line in summary):
            return False
    return True


def assert_accessible(page, *, context: str | None = None, impacts=BLOCKING) -> list[dict]:
    """Fail on violations with one of ``impacts``; warn about the rest. Returns them all."""
    violations = [v for v in run_axe(page, context=context) if not _govuk_conditional_radio(v)]
    blocking = [v for v in violations if v["impact"] in impacts]
    others = [v for v in violations if v["impact"] not in impacts]
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
