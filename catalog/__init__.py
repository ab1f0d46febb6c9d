"""The catalog and the Vietnamese full-text index (diacritics ignored, đ included)."""

import catalog.identity  # noqa: F401  (its tables join `metadata` before a Catalog creates them)
from catalog.records import Catalog
from schemas.text import fold, words

__all__ = ["Catalog", "fold", "words"]
