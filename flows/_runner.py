"""How the application layer's stages run inside a Prefect flow: each `archive.stages.Stage` becomes a Prefect task
with the same name and retry policy, so a stage is a tracked task run (with Prefect's retries) in the UI.

Outside a flow, the CLI and the watcher run the same stages with `archive.stages.run_direct`: Prefect with no server
starts a temporary one for every command (8-20 s here), and a clerk's one-page ingest must not wait for that.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE

from archive.stages import Stage, is_transient


def retry_transient(task_obj, task_run, state) -> bool:
    """Prefect retry condition: retry storage hiccups, never bad input (the rule run_direct follows too)."""
    try:
        state.result()
    except Exception as error:
        return is_transient(error)
    return True


@cache
def as_task(stage: Stage) -> Task:
    """The Prefect task of a stage: its name, its retry policy; runs named `<stage> <dossier>.<ordinal>`."""
    return task(
        stage.fn,
        name=stage.name,
        cache_policy=NO_CACHE,
        retries=stage.retries,
        retry_delay_seconds=list(stage.retry_delay_seconds) or 0,
        retry_condition_fn=retry_transient if stage.retries else None,
        task_run_name=f"{stage.name} {{label}}",
        tags=list(stage.tags) or None,  # a tag with a concurrency limit (`tesseract`) waits for a free slot
    )


def run_as_task(stage: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Inside a Prefect flow: calling the stage's task makes a tracked task run."""
    return as_task(stage)(*args, **kwargs) if isinstance(stage, Stage) else stage(*args, **kwargs)
