"""The learned classifier: TF-IDF over folded words and characters, and a logistic regression, trained from the
documents whose type an archivist confirmed or corrected.

Versions live in the object store, so every machine reads the same model and the catalog can be rebuilt:
`_models/classifier/<version>/model.joblib` and `_models/classifier/latest.json`, which names the current
version and the fingerprint of the labelled set it was trained on (retraining is skipped while it is unchanged).

joblib files are pickles: only load models this archive wrote itself (the store is trusted; its SHA-256 is
checked against latest.json before loading).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from schemas.text import fold
from storage import ObjectNotFound, layout

MODELS_PREFIX = f"{layout.MODELS_PREFIX}classifier/"
LATEST_KEY = MODELS_PREFIX + "latest.json"
MODEL_NAME = "model.joblib"

# Syllables of the text seen in training: below this share the model is out of its depth (a foreign page).
FULL_COVERAGE = 0.5
# Share of syllables carrying a Vietnamese letter or mark under which a page is not taken for Vietnamese.
FULL_VIETNAMESE = 0.25
# Only the top of a long document decides (its heading and opening), as for the rules.
MAX_CHARS = 4000

_SYLLABLE = re.compile(r"[^\W\d_]{2,}")


def prepare(text: str) -> str:
    """What the model reads: folded, with runs of digits collapsed (numbers and dates say nothing of the type)."""
    return re.sub(r"\d+", "0", fold(text[:MAX_CHARS]))


def build_pipeline() -> Pipeline:
    features = FeatureUnion([
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)),
    ])
    # Strong C: a few labelled examples per type must already move the decision; balanced weights keep a
    # frequent type from swallowing rare ones.
    classifier = LogisticRegression(C=20.0, max_iter=2000, class_weight="balanced")
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass
class Example:
    doc_id: str
    doc_type: str
    text: str


def fingerprint(examples: list[Example]) -> str:
    """SHA-256 of the labelled set (ids, types, texts), independent of order."""
    digest = hashlib.sha256()
    for example in sorted(examples, key=lambda item: item.doc_id):
        text_hash = hashlib.sha256(example.text.encode("utf-8")).hexdigest()
        digest.update(f"{example.doc_id}\t{example.doc_type}\t{text_hash}\n".encode())
    return digest.hexdigest()


class NotEnoughLabels(ValueError):
    """Fewer than two document types labelled: a classifier needs something to tell apart."""


@dataclass
class TypeModel:
    pipeline: Pipeline
    version: str = ""
    fingerprint: str = ""
    vocabulary: frozenset[str] = field(default_factory=frozenset)

    @property
    def classes(self) -> list[str]:
        return [str(label) for label in self.pipeline.classes_]

    def reliability(self, text: str) -> float:
        """0..1: how far this page is like what the model was trained on (Vietnamese, known syllables).
        Gibberish, a blank page or an English page get ~0, so the model cannot outvote 'we do not know'."""
        original = _SYLLABLE.findall(text[:MAX_CHARS])
        if not original:
            return 0.0
        marked = sum(not syllable.isascii() for syllable in original) / len(original)
        folded = [fold(syllable) for syllable in original]
        known = sum(syllable in self.vocabulary for syllable in folded) / len(folded)
        return min(1.0, marked / FULL_VIETNAMESE) * min(1.0, known / FULL_COVERAGE)

    def probabilities(self, text: str) -> dict[str, float]:
        scores = self.pipeline.predict_proba([prepare(text)])[0]
        return {label: float(score) for label, score in zip(self.classes, scores)}


def train(examples: list[Example], version: str | None = None) -> TypeModel:
    if len({example.doc_type for example in examples}) < 2:
        raise NotEnoughLabels("at least two document types must be labelled before a model can be trained")
    pipeline = build_pipeline()
    pipeline.fit([prepare(example.text) for example in examples], [example.doc_type for example in examples])
    vocabulary = frozenset(
        fold(syllable) for example in examples for syllable in _SYLLABLE.findall(example.text[:MAX_CHARS])
    )
    print_ = fingerprint(examples)
    version = version or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + print_[:8]
    return TypeModel(pipeline, version=version, fingerprint=print_, vocabulary=vocabulary)


def latest_info(store) -> dict | None:
    try:
        return json.loads(store.get_bytes(LATEST_KEY))
    except ObjectNotFound:
        return None


def save(store, model: TypeModel, examples: int) -> dict:
    """Write the model's version, then point latest.json at it (readers never see a half-written version)."""
    buffer = io.BytesIO()
    joblib.dump({"pipeline": model.pipeline, "vocabulary": sorted(model.vocabulary)}, buffer, compress=3)
    key = f"{MODELS_PREFIX}{model.version}/{MODEL_NAME}"
    stored = store.put_bytes(key, buffer.getvalue(), content_type="application/octet-stream")
    info = {
        "version": model.version,
        "key": key,
        "sha256": stored.sha256,
        "fingerprint": model.fingerprint,
        "examples": examples,
        "classes": model.classes,
        "trained_at": datetime.now(timezone.utc).isoformat(),
    }
    store.put_bytes(f"{MODELS_PREFIX}{model.version}/info.json", json.dumps(info, indent=2).encode(),
                    content_type="application/json")
    store.put_bytes(LATEST_KEY, json.dumps(info, indent=2).encode(), content_type="application/json")
    return info


_CACHE: dict[tuple[str, str], TypeModel] = {}


def load_latest(store) -> TypeModel | None:
    """The current model, or None when none was trained yet (rules alone decide). Cached per store and version."""
    info = latest_info(store)
    if info is None:
        return None
    cache_key = (store.url, info["version"])
    if cache_key not in _CACHE:
        data = store.get_bytes(info["key"])
        if hashlib.sha256(data).hexdigest() != info["sha256"]:
            raise ValueError(f"{info['key']} does not match the SHA-256 in {LATEST_KEY}")
        saved = joblib.load(io.BytesIO(data))
        _CACHE[cache_key] = TypeModel(saved["pipeline"], version=info["version"], fingerprint=info["fingerprint"],
                                      vocabulary=frozenset(saved["vocabulary"]))
    return _CACHE[cache_key]
