"""The `retrain-classifier` flow: train the document-type model again from what archivists labelled, only when the
labelled set changed (`archive.classifier.retrain`). prefect.yaml deploys it nightly."""

from __future__ import annotations

from prefect import flow

from archive.retrain import retrain


@flow(name="retrain-classifier", log_prints=True)
def retrain_classifier(force: bool = False) -> dict:
    """Prefect flow: retrain the classifier when archivists' labels changed."""
    return retrain(force=force)
