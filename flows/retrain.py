"""The `retrain_classifier` flow: train the document-type model again from what archivists labelled, but only when
the labelled set changed (its fingerprint differs from the one in `_models/classifier/latest.json`).

`prefect.yaml` deploys it nightly as `retrain-classifier`; `retrain()` is the same work as a plain function.
"""

from __future__ import annotations

import logging

from prefect import flow

from classify.model import Example, NotEnoughLabels, fingerprint, latest_info, save, train
from search import Catalog
from sohoa.settings import Settings, get_settings
from storage import store_from_settings

log = logging.getLogger("sohoa.retrain")


def labelled_examples(catalog: Catalog) -> list[Example]:
    confirmed = catalog.confirmed_documents()
    texts = catalog.first_page_texts(document.id for document in confirmed)
    return [Example(document.id, document.doc_type.value, texts.get(document.id, "")) for document in confirmed]


def retrain(*, force: bool = False, settings: Settings | None = None) -> dict:
    """Train and store a new model if the labelled set changed (or `force`). Returns what happened:
    {"status": "trained" | "unchanged" | "not_enough_labels", "examples": n, "fingerprint": ..., "version": ...}."""
    settings = settings or get_settings()
    store = store_from_settings(settings)
    catalog = Catalog.from_settings(settings)
    try:
        examples = labelled_examples(catalog)
    finally:
        catalog.close()
    current = fingerprint(examples)
    latest = latest_info(store)
    outcome = {"examples": len(examples), "fingerprint": current,
               "version": latest["version"] if latest else None}
    if latest is not None and latest.get("fingerprint") == current and not force:
        log.info("labelled set unchanged (%d documents): model %s kept", len(examples), latest["version"])
        return {**outcome, "status": "unchanged"}
    try:
        model = train(examples)
    except NotEnoughLabels as error:
        log.info("%s", error)
        return {**outcome, "status": "not_enough_labels"}
    info = save(store, model, len(examples))
    log.info("model %s trained on %d documents of %d types", info["version"], len(examples), len(info["classes"]))
    return {**outcome, "status": "trained", "version": info["version"], "classes": info["classes"]}


@flow(name="retrain-classifier", log_prints=True)
def retrain_classifier(force: bool = False) -> dict:
    """Prefect flow: retrain the classifier when archivists' labels changed."""
    return retrain(force=force)
