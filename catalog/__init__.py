"""The catalog and the Vietnamese full-text index (diacritics ignored, đ included)."""

from catalog.records import Catalog
from schemas.text import fold, words

__all__ = ["Catalog", "fold", "words"]
