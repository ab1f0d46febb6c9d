"""The one context an application call works in: settings, the object store (with its replica) and the catalog,
made once per process and closed with `with`. The CLI, the flows and (later) the web app each open one and pass
it down; nothing below builds its own store or catalog."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from catalog import Catalog
from schemas.settings import Settings, get_settings
from storage import ObjectStore, store_from_settings

if TYPE_CHECKING:  # the model module loads scikit-learn (about 2 s): only when a model is asked for
    from classify.model import TypeModel


class Archive:
    """`with Archive.open() as archive:` — `archive.store`, `archive.catalog` are made on first use."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self._store: ObjectStore | None = None
        self._catalog: Catalog | None = None

    @classmethod
    def open(cls, settings: Settings | None = None) -> Archive:
        return cls(settings)

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            self._store = store_from_settings(self.settings)
        return self._store

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog.from_settings(self.settings)
        return self._catalog

    def classifier_model(self) -> TypeModel | None:
        """The latest trained type model in the store, or None (rules alone decide)."""
        from archive.classifier import load_latest

        return load_latest(self.store)

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextmanager
def opened(archive: Archive | None = None, settings: Settings | None = None) -> Iterator[Archive]:
    """The archive a caller passed in (left open: it is the caller's), or one opened for this call and closed."""
    if archive is not None:
        yield archive
        return
    with Archive.open(settings) as made:
        yield made
