"""The inbox flows as Prefect runs them: the deployment entrypoints flows/inbox_sweep.py:ingest_inbox and
flows/inbox_sweep.py:nightly_backlog, their defaults, run names and JSON results."""

import json

from prefect.client.orchestration import get_client

from flows.inbox_sweep import ingest_inbox, nightly_backlog


def _run_name(state) -> str:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).name


def test_the_inbox_flows_sweep_their_folder_and_say_which_in_the_run_name(tmp_path, monkeypatch, prefect_harness):
    home = tmp_path / "home"
    monkeypatch.setenv("SOHOA_HOME", str(home))
    monkeypatch.setenv("SOHOA_STABLE_SECONDS", "0")
    monkeypatch.delenv("SOHOA_BACKLOG", raising=False)
    monkeypatch.delenv("SOHOA_INBOX", raising=False)

    nightly = nightly_backlog(return_state=True)  # the deployment's default: SOHOA_BACKLOG, else SOHOA_HOME/backlog
    assert nightly.is_completed()
    summary = nightly.result()
    json.dumps(summary)  # a flow result Prefect can keep
    assert summary == {"dossiers": 0, "archived": 0, "duplicate": 0, "quarantined": 0, "released": 0, "errors": 0}
    assert _run_name(nightly) == f"backlog {home / 'backlog'}"
    assert (home / "backlog").is_dir() and not list((home / "backlog" / ".processing").iterdir())

    elsewhere = tmp_path / "phong-mot-cua"
    sweep = ingest_inbox(inbox=str(elsewhere), return_state=True)
    assert sweep.is_completed() and sweep.result()["dossiers"] == 0
    assert _run_name(sweep) == f"inbox {elsewhere}"
    assert elsewhere.is_dir() and not (home / "inbox").exists()
