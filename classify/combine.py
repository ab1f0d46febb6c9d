"""Rules and the learned model into one type and one confidence.

Each source gives a distribution over types: the rules put their confidence on the title's type (they abstain
when no title was found), the model its probabilities. They are mixed with weights: the model's weight grows with
how much the page looks like what it was trained on (TypeModel.reliability), so a page of gibberish, a blank or an
English page leaves only the rules, which find nothing there either. The model weighs more than the rules where
it is reliable: it learnt from archivists' corrections, which are exactly the cases the rules got wrong.

Below the threshold (SOHOA_CLASSIFY_THRESHOLD) the answer is `khac` with needs_review, carrying the low confidence.
"""

from __future__ import annotations

from classify.model import TypeModel
from schemas import Classification, DocType

RULES_WEIGHT = 0.4
MODEL_WEIGHT = 0.6
DEFAULT_THRESHOLD = 0.5


def combine(
    rules: Classification, model: TypeModel | None, text: str, threshold: float = DEFAULT_THRESHOLD
) -> Classification:
    if model is None:
        return rules  # no model trained yet: the rules decide, as they always did
    rules_fired = rules.doc_type is not DocType.khac and rules.confidence > 0
    rules_weight = RULES_WEIGHT if rules_fired else 0.0
    reliability = model.reliability(text)
    model_weight = MODEL_WEIGHT * reliability
    if rules_weight + model_weight == 0:
        return _unsure(rules, 0.0)
    scores: dict[str, float] = {}
    if rules_fired:
        scores[rules.doc_type.value] = rules_weight * rules.confidence
    if model_weight:
        for label, probability in model.probabilities(text).items():
            scores[label] = scores.get(label, 0.0) + model_weight * probability
    best = max(scores, key=lambda label: scores[label])
    # With a title found, an unreliable model steps aside and the rules keep their confidence; without one, the
    # model's answer is discounted by its reliability (a foreign page cannot be a confident anything).
    confidence = round(scores[best] / (rules_weight + (model_weight if rules_fired else MODEL_WEIGHT)), 4)
    method = "title-rules+model" if rules_fired and model_weight else ("model" if model_weight else "title-rules")
    if confidence < threshold or best == DocType.khac.value:
        return _unsure(rules, confidence, method)
    return rules.model_copy(
        update={
            "doc_type": DocType(best),
            "confidence": confidence,
            "method": f"{method}:{model.version}",
            "needs_review": False,
        }
    )


def _unsure(rules: Classification, confidence: float, method: str = "title-rules") -> Classification:
    return rules.model_copy(
        update={
            "doc_type": DocType.khac,
            "confidence": confidence,
            "method": method,
            "needs_review": True,
        }
    )
