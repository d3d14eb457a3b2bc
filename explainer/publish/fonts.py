"""Where the Chinese font comes from, for the page, the PDF and the plots alike.

One font for all three outputs so that a Chinese lesson looks the same everywhere: Noto Sans CJK
(SIL Open Font License 1.1), as shipped by the `noto-cjk-sans-otc` wheel. Nothing is looked up on the
system, so a build reads the same on every machine.
"""
from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path

from explainer.errors import ExportError

#: The simplified-Chinese face inside the collection (0 JP, 1 KR, 2 SC, 3 TC, 4 HK).
CJK_FACE_INDEX = 2
CJK_FAMILY = "Noto Sans CJK SC"

#: Code points drawn from the CJK font: CJK radicals to Yi, compatibility ideographs, vertical and
#: CJK compatibility forms, half- and full-width forms (Chinese punctuation lives there).
CJK_RANGES = ((0x2E80, 0xA4CF), (0xF900, 0xFAFF), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))

INSTALL_HINT = 'pip install "noto-cjk-sans-otc"'


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in CJK_RANGES)


def cjk_chars(text: str) -> str:
    """The distinct CJK characters of `text`, sorted, so a subset is a function of the text alone."""
    return "".join(sorted({c for c in text if is_cjk(c)}))


def unicode_range() -> str:
    return ", ".join(f"U+{lo:04X}-{hi:04X}" for lo, hi in CJK_RANGES)


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The font collection file; raises ExportError naming the package when it is not installed."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        raise ExportError(f"Chinese text needs the Noto Sans CJK font: {INSTALL_HINT}") from None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    if not path.is_file():
        raise ExportError(f"the Noto Sans CJK font file is missing at {path}: reinstall with {INSTALL_HINT}")
    return path


@lru_cache(maxsize=8)
def cjk_subset_woff(chars: str) -> bytes:
    """A WOFF font holding just `chars` from the CJK face, small enough to live inside one page.

    WOFF (zlib) rather than WOFF2, which would need Brotli as another dependency; the subset is a few
    tens of kilobytes either way. Time stamps and bounding boxes are not recomputed: the first keeps
    the bytes identical from build to build, the second halves the time (the CFF outlines of the
    whole font would otherwise be parsed).
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(
        str(cjk_font_path()), fontNumber=CJK_FACE_INDEX, lazy=True, recalcBBoxes=False, recalcTimestamp=False
    )
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = [0, 1, 2, 13]  # copyright, family, style, licence: the OFL asks they travel along
    options.name_languages = [0x409]
    options.hinting = False
    options.desubroutinize = False
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    font.flavor = "woff"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def cjk_font_face_css(text: str, family: str) -> str:
    """An @font-face rule with the page's CJK characters embedded, or "" when there are none."""
    chars = cjk_chars(text)
    if not chars:
        return ""
    data = base64.b64encode(cjk_subset_woff(chars)).decode("ascii")
    return (
        "@font-face {\n"
        f'  font-family: "{family}";\n'
        f'  src: url("data:font/woff;base64,{data}") format("woff");\n'
        f"  unicode-range: {unicode_range()};\n"
        "  font-display: block;\n"
        "}\n"
    )
