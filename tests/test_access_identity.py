"""Users, roles, API tokens and the agency registry (issue 12), through the real `sohoa` command where a person
would use it: passwords only from stdin and stored as argon2 hashes, one message for every failed sign-in, a
token printed once and kept only as its sha256, and a caller's scope that follows agency mergers."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest
from _catalogs import catalog_content, catalog_rows, sohoa_home  # noqa: F401  (on both backends)
from conftest import sohoa_command

pytestmark = pytest.mark.slow  # runs the `sohoa` command in child processes

PASSWORD = "Mật-khẩu-bí-mật-9137"  # what must never appear in any output, log or table
AGENCY_A, AGENCY_B, AGENCY_C = "000.00.00.K01", "000.00.00.K02", "000.00.00.G30"


def sohoa(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The real command, with `stdin` fed to it (a closed stdin otherwise, as in a script)."""
    completed = subprocess.run(
        [*sohoa_command(), *args], input=stdin or "", capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def add_agencies(*codes: str) -> None:
    for code in codes:
        assert sohoa("agency", "add", code, f"Cơ quan {code}").returncode == 0


def test_user_add_list_passwd_disable_keep_only_an_argon2_hash(sohoa_home):
    added = sohoa(
        "user",
        "add",
        "Lan",
        "--role",
        "clerk",
        "--agency",
        AGENCY_A,
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    user = json.loads(added.stdout)
    assert (user["username"], user["role"], user["agencies"], user["disabled"]) == ("lan", "clerk", [AGENCY_A], False)

    [(first_hash,)] = catalog_rows(sohoa_home, "SELECT password_hash FROM users WHERE username = 'lan'")
    assert first_hash.startswith("$argon2id$")
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(first_hash, PASSWORD)

    again = sohoa("user", "add", "lan", "--role", "clerk", "--agency", AGENCY_A, "--password-stdin", stdin=PASSWORD)
    assert again.returncode == 1 and "user_exists" in again.stderr

    changed = sohoa("user", "passwd", "lan", "--password-stdin", stdin="Một-mật-khẩu-mới-2468\n")
    assert changed.returncode == 0, changed.stderr
    [(second_hash,)] = catalog_rows(sohoa_home, "SELECT password_hash FROM users WHERE username = 'lan'")
    assert second_hash != first_hash and PasswordHasher().verify(second_hash, "Một-mật-khẩu-mới-2468")

    disabled = sohoa("user", "disable", "lan")
    assert disabled.returncode == 0, disabled.stderr
    listed = sohoa("user", "list", "--json")
    [shown] = json.loads(listed.stdout)["users"]
    assert shown["username"] == "lan" and shown["disabled"] is True
    assert "password_hash" not in shown and "argon2" not in listed.stdout
    assert "lan" in sohoa("user", "list").stdout

    for output in (added, again, changed, disabled, listed):
        assert PASSWORD not in output.stdout + output.stderr
    assert PASSWORD.encode() not in catalog_content(sohoa_home)


def test_user_grant_replaces_rights_and_enable_unlocks_with_each_change_logged(sohoa_home):
    add_agencies(AGENCY_A, AGENCY_B)
    assert (
        sohoa(
            "user", "add", "minh", "--role", "clerk", "--agency", AGENCY_A, "--password-stdin", stdin=PASSWORD
        ).returncode
        == 0
    )
    granted = sohoa(
        "user", "grant", "minh", "--role", "archivist", "--agency", AGENCY_A, "--agency", AGENCY_B, "--pii", "--json"
    )
    assert granted.returncode == 0, granted.stderr
    user = json.loads(granted.stdout)
    assert (user["role"], user["agencies"], user["pii"]) == ("archivist", [AGENCY_A, AGENCY_B], True)
    refused = sohoa("user", "grant", "minh", "--role", "boss", "--agency", AGENCY_A, "--json")
    assert refused.returncode == 1 and json.loads(refused.stdout)["code"] == "invalid_role"
    assert json.loads(sohoa("user", "list", "--json").stdout)["users"][0]["role"] == "archivist"  # unchanged
    assert sohoa("user", "disable", "minh").returncode == 0
    enabled = sohoa("user", "enable", "minh", "--json")
    assert enabled.returncode == 0 and json.loads(enabled.stdout)["disabled"] is False
    actions = [row[0] for row in catalog_rows(sohoa_home, "SELECT action FROM access_log ORDER BY seq")]
    assert actions[-3:] == ["user_update", "user_disable", "user_enable"]


def test_a_password_is_never_taken_from_the_command_line(sohoa_home):
    # No --password-stdin and no terminal to type it at: refused, nothing created (argv is visible to every user).
    refused = sohoa("user", "add", "lan", "--role", "archivist", "--agency", AGENCY_A, "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["code"] == "password_needed"
    assert json.loads(sohoa("user", "list", "--json").stdout)["users"] == []
    short = sohoa("user", "add", "lan", "--role", "clerk", "--agency", AGENCY_A, "--password-stdin", stdin="ngan\n")
    assert short.returncode == 1 and "weak_password" in short.stderr and "ngan" not in short.stderr
    no_agency = sohoa("user", "add", "lan", "--role", "clerk", "--password-stdin", stdin=PASSWORD)
    assert no_agency.returncode == 1 and "agency_required" in no_agency.stderr
    bad_role = sohoa("user", "add", "lan", "--role", "root", "--agency", AGENCY_A, "--password-stdin", stdin=PASSWORD)
    assert bad_role.returncode == 1 and "invalid_role" in bad_role.stderr


def test_sign_in_fails_with_one_message_for_unknown_user_wrong_password_and_disabled_account(sohoa_home):
    from archive import Archive
    from archive.access import add_user, authenticate, disable_user, read_access
    from schemas.access import LoginFailed, PrincipalKind, Role

    with Archive.open() as archive:
        add_user(archive, "lan", "archivist", [AGENCY_A], PASSWORD, pii=True)
        add_user(archive, "minh", "clerk", [AGENCY_B], PASSWORD)
        disable_user(archive, "minh")

        principal = authenticate(archive, "Lan", PASSWORD, "10.0.0.5")
        assert (principal.kind, principal.name, principal.role) == (PrincipalKind.user, "lan", Role.archivist)
        assert principal.granted == {AGENCY_A} and principal.pii is True

        messages = []
        for username, password in [("lan", PASSWORD + "x"), ("nobody", PASSWORD), ("minh", PASSWORD), ("", "")]:
            with pytest.raises(LoginFailed) as failed:
                authenticate(archive, username, password, "10.0.0.6")
            messages.append((failed.value.code, str(failed.value)))
        assert len(set(messages)) == 1 and messages[0][0] == "login_failed"

        entries = read_access(archive, since="2000-01-01")
        logins = [(entry.action, entry.actor, entry.address, entry.detail.get("reason")) for entry in entries[-5:]]
        assert logins == [
            ("login", "lan", "10.0.0.5", None),
            ("login_failed", "lan", "10.0.0.6", "password"),
            # An unknown name is not written: it may be a password typed into the user field.
            ("login_failed", "?", "10.0.0.6", "unknown_user"),
            ("login_failed", "minh", "10.0.0.6", "disabled"),
            ("login_failed", "?", "10.0.0.6", "unknown_user"),
        ]
        assert all(PASSWORD not in json.dumps(entry.model_dump(), ensure_ascii=False) for entry in entries)
    assert PASSWORD.encode() not in catalog_content(sohoa_home)


def test_a_successor_agency_sees_every_predecessor_after_mergers(sohoa_home):
    add_agencies(AGENCY_A, AGENCY_B, AGENCY_C)
    assert sohoa("agency", "merge", AGENCY_A, "--into", AGENCY_B, "--on", "2025-01-01").returncode == 0
    merged = sohoa("agency", "merge", AGENCY_B, "--into", AGENCY_C, "--on", "2025-07-01", "--json")
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout)["predecessors"] == [AGENCY_B]
    assert sohoa("user", "add", "hoa", "--role", "clerk", "--agency", AGENCY_C, "--password-stdin", stdin=PASSWORD)
    created = sohoa("token", "create", "OpenCPS", "--role", "archivist", "--agency", AGENCY_C)
    assert created.returncode == 0, created.stderr

    listed = {agency["code"]: agency for agency in json.loads(sohoa("agency", "list", "--json").stdout)["agencies"]}
    assert listed[AGENCY_B]["valid_to"] == "2025-06-30" and listed[AGENCY_B]["successors"] == [AGENCY_C]
    # A circle (C into A, while A is already within C) is refused, and so is an agency not in the registry.
    assert "agency_merge_cycle" in sohoa("agency", "merge", AGENCY_C, "--into", AGENCY_A).stderr
    assert "unknown_agency" in sohoa("agency", "merge", "000.00.00.Z99", "--into", AGENCY_C).stderr

    from archive import Archive
    from archive.access import principal_for, principal_for_token

    with Archive.open() as archive:
        user = principal_for(archive, "hoa")
        token = principal_for_token(archive, created.stdout.strip())
    assert user.granted == {AGENCY_C} and user.agencies == {AGENCY_A, AGENCY_B, AGENCY_C}
    assert token is not None and token.agencies == {AGENCY_A, AGENCY_B, AGENCY_C}


def test_agency_import_reads_the_registry_and_its_mergers_from_csv(sohoa_home, tmp_path):
    registry = tmp_path / "co-quan.csv"
    registry.write_text(
        "code,name,parent,valid_from,valid_to,successor\n"
        f"{AGENCY_C},UBND tỉnh An Giang,,2025-07-01,,\n"
        f"{AGENCY_A},UBND tỉnh Kiên Giang,,,2025-06-30,{AGENCY_C}\n"
        f"{AGENCY_B},Sở Nội vụ Kiên Giang,{AGENCY_A},,2025-06-30,{AGENCY_C}\n",
        encoding="utf-8",
    )
    imported = sohoa("agency", "import", str(registry), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {"agencies": 3, "mergers": 2}
    listed = {agency["code"]: agency for agency in json.loads(sohoa("agency", "list", "--json").stdout)["agencies"]}
    assert listed[AGENCY_C]["predecessors"] == [AGENCY_A, AGENCY_B] and listed[AGENCY_B]["parent"] == AGENCY_A
    assert sohoa("agency", "import", str(registry)).returncode == 0  # again: the same registry, nothing doubled

    bad = tmp_path / "sai.csv"
    bad.write_text("code,name\n000.00.00.K05,Một\n000.00.00.K5,Hai\n", encoding="utf-8")
    refused = sohoa("agency", "import", str(bad), "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["code"] == "invalid_agency_code" and "line 3" in refused.stdout
    assert "000.00.00.K05" not in sohoa("agency", "list").stdout  # the whole file is checked before any write


def test_a_token_is_printed_once_kept_as_its_hash_and_refused_once_revoked(sohoa_home):
    created = sohoa("token", "create", "OpenCPS", "--role", "clerk", "--agency", AGENCY_A)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("sohoa_") and secret not in created.stderr

    listed = sohoa("token", "list", "--json")
    [token] = json.loads(listed.stdout)["tokens"]
    assert token["name"] == "OpenCPS" and token["revoked_at"] is None
    assert secret not in listed.stdout + sohoa("token", "list").stdout
    [(stored,)] = catalog_rows(sohoa_home, "SELECT token_hash FROM tokens")
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.encode() not in catalog_content(sohoa_home)

    from archive import Archive
    from archive.access import principal_for_token

    with Archive.open() as archive:
        principal = principal_for_token(archive, secret)
        assert principal is not None and principal.name == token["id"] and principal.pii is False
        assert principal_for_token(archive, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
        assert principal_for_token(archive, "") is None
    revoked = sohoa("token", "revoke", token["id"])
    assert revoked.returncode == 0, revoked.stderr
    with Archive.open() as archive:
        assert principal_for_token(archive, secret) is None

    admin = sohoa("token", "create", "X", "--role", "admin", "--agency", AGENCY_A)
    assert admin.returncode == 1 and "token_role_refused" in admin.stderr and "sohoa_" not in admin.stdout
    assert "unknown_token" in sohoa("token", "revoke", "000000000000").stderr
