"""Words for the reader, kept out of the code: one TOML catalog per language and domain.

``templates/catalog/<lang>/<domain>.toml`` holds flat ``key = "text with {placeholders}"`` entries,
so a translator can reorder words. A missing key or language is an error, never a silent fallback
to English (a test keeps the languages' keys and placeholders identical).
"""
from __future__ import annotations

import tomllib
from functools import lru_cache

from .resources import templates_dir

LANGUAGES = ("en", "zh")


class Catalog:
    """The messages of one language and domain; ``catalog("zh", "check")("wrong_value", x=1)``."""

    def __init__(self, lang: str, domain: str, entries: dict[str, str]):
        self.lang, self.domain, self.entries = lang, domain, entries

    def __call__(self, key: str, /, **values) -> str:
        try:
            template = self.entries[key]
        except KeyError:
            raise KeyError(f"catalog {self.lang}/{self.domain}.toml has no key {key!r}") from None
        return template.format(**values)

    def __contains__(self, key: str) -> bool:
        return key in self.entries


@lru_cache(maxsize=None)
def catalog(lang: str, domain: str) -> Catalog:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    resource = templates_dir() / "catalog" / lang / f"{domain}.toml"
    with resource.open("rb") as fh:
        entries = tomllib.load(fh)
    return Catalog(lang, domain, entries)
