"""`sohoa certify`, `sohoa renew-timestamps` and `sohoa verify` on certified copies, as a clerk runs them (the real
command in a child process): the PIN in no output or log, a flipped byte found, PAdES B-B said aloud."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pki
import pytest
from conftest import run_sohoa
from test_certify import DOSSIER, PIN, archived, signing_env


@pytest.fixture(scope="module")
def cli_pki(tmp_path_factory):
    made = pki.TestPki(tmp_path_factory.mktemp("pki-cli"))
    yield made
    made.close()


def _all_bytes_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())


def test_the_pin_appears_in_no_output_or_log(sohoa_home, monkeypatch, cli_pki, tmp_path):
    signing_env(monkeypatch, cli_pki, tmp_path)
    document = archived(tmp_path)
    debug = {"SOHOA_DEBUG": "1"}  # the most talkative logging there is
    done = run_sohoa("certify", document.id, "--by", "lan.nguyen", "--json", env=debug)
    assert done.returncode == 0, done.stderr
    (report,) = json.loads(done.stdout)["documents"]
    assert report["status"] == "certified" and report["level"] == "PAdES B-LT"
    # A wrong PIN given in the environment: refused by name, and neither PIN is said.
    monkeypatch.delenv("SOHOA_SIGN_PIN_FILE")
    wrong = "sai-" + PIN
    refused = run_sohoa("certify", document.id, "--json", env={**debug, "SOHOA_SIGN_PIN": wrong})
    assert refused.returncode == 1 and json.loads(refused.stdout)["code"] == "signing_pin_wrong"
    for output in (done.stdout, done.stderr, refused.stdout, refused.stderr):
        assert PIN not in output and wrong not in output
    stored = _all_bytes_under(sohoa_home)  # meta.json, the catalog, the certified copy, the audit reports
    assert PIN.encode() not in stored and wrong.encode() not in stored


def test_sohoa_verify_finds_a_flipped_byte_in_a_certified_copy(sohoa_home, monkeypatch, cli_pki, tmp_path):
    signing_env(monkeypatch, cli_pki, tmp_path)
    document = archived(tmp_path)
    run_sohoa("certify", document.id, check=True)
    clean = run_sohoa("verify", "--json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (check,) = json.loads(clean.stdout)["certified"]
    assert check["ok"] and check["serial"] == f"{cli_pki.cert('agency').serial_number:x}"
    copy = sohoa_home / "store" / check["key"]
    original_size = document.objects["archive"].size
    data = bytearray(copy.read_bytes())
    data[original_size // 2] ^= 0x01  # in the signed range
    os.chmod(copy, 0o644)  # the folder store keeps a locked object read-only; someone with the rights got past it
    copy.write_bytes(bytes(data))
    found = run_sohoa("verify", "--json")
    assert found.returncode == 1
    payload = json.loads(found.stdout)
    (check,) = payload["certified"]
    assert not check["ok"] and check["problems"]
    assert [issue["key"] for issue in payload["corrupt"]] == [check["key"]]  # the fixity audit agrees
    assert "không hợp lệ" in found.stderr


def test_certify_a_dossier_without_a_tsa_says_b_b_and_renew_needs_a_tsa(sohoa_home, monkeypatch, cli_pki, tmp_path):
    signing_env(monkeypatch, cli_pki, tmp_path, tsa=False)
    archived(tmp_path)
    archived(tmp_path, ordinal=2, shade=220)
    done = run_sohoa("certify", "--dossier", DOSSIER, "--copy-form", "SAO LỤC")
    assert done.returncode == 0, done.stderr
    assert "PAdES B-B" in done.stderr and done.stdout.count("đã ký / certified") == 2
    bad_form = run_sohoa("certify", "--dossier", DOSSIER, "--copy-form", "BẢN CHÍNH")
    assert bad_form.returncode == 1 and "SAO LỤC" in bad_form.stderr
    renew = run_sohoa("renew-timestamps", "--json")
    assert renew.returncode == 1 and json.loads(renew.stdout)["code"] == "tsa_unreachable"


def test_renew_timestamps_from_the_command_line(sohoa_home, monkeypatch, cli_pki, tmp_path):
    signing_env(monkeypatch, cli_pki, tmp_path)
    document = archived(tmp_path)
    run_sohoa("certify", document.id, check=True)
    done = run_sohoa("renew-timestamps", "--within-days", "4100", "--json")
    assert done.returncode == 0, done.stderr
    (report,) = json.loads(done.stdout)["documents"]
    assert report["status"] == "renewed" and "certified-" in report["key"]
    assert run_sohoa("verify").returncode == 0


def test_the_certify_flow_wraps_the_same_call(sohoa_home, monkeypatch, cli_pki, tmp_path):
    """The flows' own functions (`.fn`: no Prefect server needed); a refused document fails the run by name."""
    from flows.certify import CertifyRefused, certify_documents, renew_certified_timestamps

    signing_env(monkeypatch, cli_pki, tmp_path)
    ours = archived(tmp_path)
    theirs = archived(tmp_path, agency=pki.OTHER_CODE, ordinal=2, shade=225)
    (report,) = certify_documents.fn(doc_ids=[ours.id], copy_form="SAO Y")
    assert report["status"] == "certified"
    with pytest.raises(CertifyRefused):
        certify_documents.fn(doc_ids=[theirs.id])
    assert [r["status"] for r in renew_certified_timestamps.fn(within_days=30)] == ["not_due"]
