"""How a flow's stages run: as Prefect tasks inside a flow run, or directly in this process.

Prefect with no server starts a temporary one for every command (8-20 s here). A clerk's one-page ingest
must not wait for that, so the CLI runs the same flow body with `run_direct` unless PREFECT_API_URL names a
server. Both honour the retry policy declared on the task, so there is one place that says how a stage
retries.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable, Protocol

from schemas.failures import SohoaFailure

log = logging.getLogger(__name__)


class StageRunner(Protocol):
    def __call__(self, stage: Any, /, *args: Any, **kwargs: Any) -> Any: ...


def run_as_task(stage: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Inside a Prefect flow: calling the task makes a tracked task run (with Prefect's retries)."""
    return stage(*args, **kwargs)


def _delays(stage: Any) -> list[float]:
    retries = getattr(stage, "retries", 0) or 0
    configured = getattr(stage, "retry_delay_seconds", 0) or 0
    if isinstance(configured, (int, float)):
        return [float(configured)] * retries
    delays = [float(delay) for delay in configured]
    return (delays + delays[-1:] * retries)[:retries] if delays else [0.0] * retries


def run_direct(stage: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Outside Prefect: call the task's plain function, retrying as the task declares."""
    function: Callable[..., Any] = getattr(stage, "fn", stage)
    delays = _delays(stage)
    for attempt in range(len(delays) + 1):
        try:
            return function(*args, **kwargs)
        except Exception as error:
            # Bad input does not get better on a second try; only transient failures are retried.
            if isinstance(error, SohoaFailure) and not error.retryable or attempt == len(delays):
                raise
            log.warning("%s failed (%s); retry %d/%d", getattr(stage, "name", function.__name__),
                        type(error).__name__, attempt + 1, len(delays))
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")


def retry_transient(task_obj, task_run, state) -> bool:
    """Prefect retry condition: retry storage hiccups, never bad input (the rule run_direct follows too)."""
    try:
        state.result()
    except SohoaFailure as failure:
        return failure.retryable
    except Exception:
        return True
    return True


def prefect_server_configured() -> bool:
    if os.environ.get("PREFECT_API_URL"):
        return True
    try:
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    except Exception:  # a broken Prefect profile must not stop a direct run
        return False
