"""The learned classifier: TF-IDF over folded words and characters, and a logistic regression, trained from the
documents whose type an archivist confirmed or corrected.

This module computes only: examples in, a model out; a model to bytes and back. Where versions are kept (the
object store, `_models/classifier/`) is the application layer's business (`archive.classifier`).
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from schemas.failures import SohoaFailure
from schemas.text import fold

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
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)),
        ]
    )
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


class NotEnoughLabels(SohoaFailure):
    """Fewer than two document types labelled: a classifier needs something to tell apart."""

    code = "not_enough_labels"
    vi = "Cần ít nhất hai loại văn bản đã được xác nhận để huấn luyện bộ phân loại"
    en = "At least two document types must be labelled before a model can be trained"


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
        raise NotEnoughLabels(f"{len({example.doc_type for example in examples})} type(s) labelled")
    pipeline = build_pipeline()
    pipeline.fit([prepare(example.text) for example in examples], [example.doc_type for example in examples])
    vocabulary = frozenset(
        fold(syllable) for example in examples for syllable in _SYLLABLE.findall(example.text[:MAX_CHARS])
    )
    print_ = fingerprint(examples)
    version = version or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + print_[:8]
    return TypeModel(pipeline, version=version, fingerprint=print_, vocabulary=vocabulary)


def to_bytes(model: TypeModel) -> bytes:
    """The model as a joblib file (a pickle: only ever loaded from this archive's own store, checked first)."""
    buffer = io.BytesIO()
    joblib.dump({"pipeline": model.pipeline, "vocabulary": sorted(model.vocabulary)}, buffer, compress=3)
    return buffer.getvalue()


def from_bytes(data: bytes, *, version: str, fingerprint: str) -> TypeModel:
    saved = joblib.load(io.BytesIO(data))
    return TypeModel(
        saved["pipeline"], version=version, fingerprint=fingerprint, vocabulary=frozenset(saved["vocabulary"])
    )
