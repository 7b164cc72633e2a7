"""QR codes as inline SVG: a school's poster and setting up an authenticator app."""

from __future__ import annotations

from xml.etree import ElementTree

from markupsafe import Markup


def qr_svg(
    data: str, label: str, css_class: str = "app-poster__qr", *, pixels: int | None = None
) -> Markup:
    """An inline SVG QR code named for screen readers: it scales with its box, or is
    ``pixels`` wide and high."""
    import qrcode  # with Pillow, heavy; imported only where a QR code is drawn
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.get_image()
    for size in ("width", "height"):
        svg.attrib.pop(size, None)
        if pixels:
            svg.set(size, str(pixels))
    svg.set("role", "img")
    svg.set("aria-label", label)
    svg.set("class", css_class)
    return Markup(ElementTree.tostring(svg, encoding="unicode"))  # noqa: S704 - our own SVG
