"""Text from a file made safe inside generated HTML and SVG: the one escape every writer of markup uses.

Markup escaping alone is not enough: a character XML 1.0 does not allow (ESC and the other C0 controls, a
lone surrogate, U+FFFE) makes an SVG not well-formed, and a browser then shows a parse-error page instead
of the drawing. Such characters are shown as `\\x1b`, as the text formats show them.
"""

from __future__ import annotations

import re

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MARKUP = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&#x27;"}


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """`text` as character data or a quoted attribute value in HTML and XML (quotes escaped too)."""
    return _NOT_XML.sub(_shown, text).translate(_MARKUP)


def attribute(text: str) -> str:
    """`text` as a double-quoted attribute value, quotes included."""
    return f'"{escape(text)}"'
