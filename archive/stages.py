"""A stage of the pipeline: a plain function with its retry policy, declared once as data.

`run_direct` runs a stage in this process, retrying as it declares (transient failures only: bad input does not
get better on a second try). `flows/` turns the same stages into Prefect tasks with the same policy, so there is
one place that says how a stage retries, and the application layer never imports Prefect. Prefect's own tasks
carry the same attributes (`fn`, `name`, `retries`, `retry_delay_seconds`), so `run_direct` runs them too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from schemas.failures import SohoaFailure

log = logging.getLogger("sohoa.stages")


@dataclass(frozen=True)
class Stage:
    """`fn(*args, label=...)`: `label` names the run (`<dossier>.<ordinal>`, never a file name)."""

    name: str
    fn: Callable[..., Any]
    retries: int = 0
    retry_delay_seconds: tuple[float, ...] = ()
    # Labels of the stage's runs where a scheduler can see them (Prefect task tags, flows/_runner.py): a global
    # concurrency limit on a tag caps how many such stages run at once across every worker (`tesseract`: OCR).
    tags: tuple[str, ...] = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


class StageRunner(Protocol):
    def __call__(self, stage: Any, /, *args: Any, **kwargs: Any) -> Any: ...


def is_transient(error: BaseException) -> bool:
    """Worth another try: anything but a named failure that says it is not (bad input, a refused request)."""
    return not isinstance(error, SohoaFailure) or error.retryable


def _delays(stage: Any) -> list[float]:
    retries = getattr(stage, "retries", 0) or 0
    configured = getattr(stage, "retry_delay_seconds", 0) or 0
    if isinstance(configured, (int, float)):
        return [float(configured)] * retries
    delays = [float(delay) for delay in configured]
    return (delays + delays[-1:] * retries)[:retries] if delays else [0.0] * retries


def run_direct(stage: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Call the stage's plain function in this process, retrying as the stage declares."""
    function: Callable[..., Any] = getattr(stage, "fn", stage)
    delays = _delays(stage)
    for attempt in range(len(delays) + 1):
        try:
            return function(*args, **kwargs)
        except Exception as error:
            if not is_transient(error) or attempt == len(delays):
                raise
            log.warning(
                "%s failed (%s); retry %d/%d",
                getattr(stage, "name", function.__name__),
                type(error).__name__,
                attempt + 1,
                len(delays),
            )
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")
