"""Versions of the learned classifier in the object store, so every machine reads the same model and the catalog
can be rebuilt: `_models/classifier/<version>/model.joblib` and `_models/classifier/latest.json`, which names the
current version and the fingerprint of the labelled set it was trained on (retraining is skipped while it is
unchanged), and the nightly retrain itself.

joblib files are pickles: only models this archive wrote itself are loaded (the store is trusted; the file's
SHA-256 is checked against latest.json first).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

from catalog import Catalog
from classify.model import Example, NotEnoughLabels, TypeModel, fingerprint, from_bytes, to_bytes, train
from schemas.failures import SohoaFailure
from storage import ObjectNotFound, ObjectStore, layout

log = logging.getLogger("sohoa.retrain")

MODELS_PREFIX = f"{layout.MODELS_PREFIX}classifier/"
LATEST_KEY = MODELS_PREFIX + "latest.json"
MODEL_NAME = "model.joblib"


class ModelDamaged(SohoaFailure):
    code = "model_damaged"
    vi = "Tệp mô hình phân loại trong kho không khớp mã kiểm tra"
    en = "The classifier model file in the store does not match its checksum"


def latest_info(store: ObjectStore) -> dict | None:
    try:
        return json.loads(store.get_bytes(LATEST_KEY))
    except ObjectNotFound:
        return None


def save(store: ObjectStore, model: TypeModel, examples: int) -> dict:
    """Write the model's version, then point latest.json at it (readers never see a half-written version)."""
    key = f"{MODELS_PREFIX}{model.version}/{MODEL_NAME}"
    stored = store.put_bytes(key, to_bytes(model), content_type="application/octet-stream")
    info = {
        "version": model.version,
        "key": key,
        "sha256": stored.sha256,
        "fingerprint": model.fingerprint,
        "examples": examples,
        "classes": model.classes,
        "trained_at": datetime.now(UTC).isoformat(),
    }
    store.put_bytes(
        f"{MODELS_PREFIX}{model.version}/info.json",
        json.dumps(info, indent=2).encode(),
        content_type="application/json",
    )
    store.put_bytes(LATEST_KEY, json.dumps(info, indent=2).encode(), content_type="application/json")
    return info


_CACHE: dict[tuple[str, str], TypeModel] = {}


def load_latest(store: ObjectStore) -> TypeModel | None:
    """The current model, or None when none was trained yet (rules alone decide). Cached per store and version."""
    info = latest_info(store)
    if info is None:
        return None
    cache_key = (store.url, info["version"])
    if cache_key not in _CACHE:
        data = store.get_bytes(info["key"])
        if hashlib.sha256(data).hexdigest() != info["sha256"]:
            raise ModelDamaged(info["key"])
        _CACHE[cache_key] = from_bytes(data, version=info["version"], fingerprint=info["fingerprint"])
    return _CACHE[cache_key]


def labelled_examples(catalog: Catalog) -> list[Example]:
    confirmed = catalog.confirmed_documents()
    texts = catalog.first_page_texts(document.id for document in confirmed)
    return [Example(document.id, document.doc_type.value, texts.get(document.id, "")) for document in confirmed]


def retrain(store: ObjectStore, catalog: Catalog, *, force: bool = False) -> dict:
    """Train and store a new model if the labelled set changed (or `force`). Returns what happened:
    {"status": "trained" | "unchanged" | "not_enough_labels", "examples": n, "fingerprint": ..., "version": ...}."""
    examples = labelled_examples(catalog)
    current = fingerprint(examples)
    latest = latest_info(store)
    outcome = {"examples": len(examples), "fingerprint": current, "version": latest["version"] if latest else None}
    if latest is not None and latest.get("fingerprint") == current and not force:
        log.info("labelled set unchanged (%d documents): model %s kept", len(examples), latest["version"])
        return {**outcome, "status": "unchanged"}
    try:
        model = train(examples)
    except NotEnoughLabels as failure:
        log.info("%s", failure)
        return {**outcome, "status": "not_enough_labels"}
    info = save(store, model, len(examples))
    log.info("model %s trained on %d documents of %d types", info["version"], len(examples), len(info["classes"]))
    return {**outcome, "status": "trained", "version": info["version"], "classes": info["classes"]}
