"""Outside Prefect, a stage runs with the retry policy its task declares; bad input is never retried."""

import pytest
from prefect import task

from archive.stages import run_direct
from schemas.failures import CorruptFile
from storage import StorageUnavailable


def test_transient_failures_are_retried_as_the_task_declares():
    calls = []

    @task(retries=2, retry_delay_seconds=0)
    def flaky(value):
        calls.append(value)
        if len(calls) < 3:
            raise StorageUnavailable("server went away")
        return value * 2

    assert run_direct(flaky, 21) == 42
    assert len(calls) == 3


def test_gives_up_after_the_declared_retries():
    calls = []

    @task(retries=1, retry_delay_seconds=[0])
    def always_down():
        calls.append(1)
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError):
        run_direct(always_down)
    assert len(calls) == 2


def test_bad_input_is_not_retried():
    calls = []

    @task(retries=3, retry_delay_seconds=0)
    def corrupt():
        calls.append(1)
        raise CorruptFile()

    with pytest.raises(CorruptFile):
        run_direct(corrupt)
    assert len(calls) == 1
