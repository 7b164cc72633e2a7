"""Reading the admin pages' HTML."""

import re


def error_links(page: str) -> list[str]:
    """The fields the error summary links to, in order."""
    start = page.find("govuk-error-summary__list")
    if start == -1:
        return []
    summary = page[start : page.find("</ul>", start)]
    return re.findall(r'href="#([^"]+)"', summary)


def element_ids(page: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', page)
