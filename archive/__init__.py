"""The application layer: the work of sohoa (ingest, audit, reindex, labels, dossier records, export, retrain)
as plain functions on one `Archive` context, with no Prefect. The CLI, the flows and the web app call it."""

from archive.context import Archive

__all__ = ["Archive"]
