"""`sohoa retrain` and the nightly `retrain-classifier` flow: a new classifier model when archivists' labels changed."""

from __future__ import annotations

from archive.classifier import retrain as retrain_model
from archive.context import Archive, opened
from schemas.settings import Settings


def retrain(*, force: bool = False, settings: Settings | None = None, archive: Archive | None = None) -> dict:
    """Train and store a new model if the labelled set changed (or `force`); what happened, as a dict."""
    with opened(archive, settings) as archive:
        return retrain_model(archive.store, archive.catalog, force=force)
