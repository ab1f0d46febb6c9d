"""The catalog and the Vietnamese full-text index (diacritics ignored, đ included)."""

from schemas.text import fold, words
from catalog.records import Catalog

__all__ = ["Catalog", "fold", "words"]
