"""The production deployment files in deploy/ (issue 15) checked against the code, without Docker or systemd running.

- the compose file parses; every `SOHOA_*` variable named anywhere in deploy/ is a field of schemas.settings.Settings;
  every Settings field is documented in deploy/env.example, and so is every variable the compose file reads;
- the values env.example and the compose file give make valid Settings; secrets are only placeholders (env.example)
  or required interpolations (compose), never on a command line;
- every image a service runs is one deploy/README.md names; every command a service (or one of its scripts, or a
  systemd unit) runs is a real `sohoa` subcommand (the Typer app, in-process), a real `prefect` subcommand (Prefect's
  own CLI app, in-process) that the README describes, or an `mc`/`minio` command the README describes;
- the only volume two services share is the intake of the watcher and the workers; `serve` ingests in its own
  process (no PREFECT_API_URL: its uploads are in its own temporary folder);
- the systemd units parse as INI and start `sohoa` / `prefect` from the virtualenv, as the dedicated user, with
  /etc/sohoa/sohoa.env and a restart policy (and `systemd-analyze verify` accepts them, where it is installed).
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml

from schemas.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / "env.example"
README = DEPLOY / "README.md"
UNITS = DEPLOY / "systemd"
VENV_BIN = Path(sys.executable).parent
# The virtualenv of a bare-metal install (README "Bare-metal install"; the existing sohoa-watch example).
INSTALL_VENV_BIN = "/srv/sohoa/.venv/bin/"

SERVICES = {"postgres", "minio", "minio-init", "prefect-server", "migrate", "prefect-setup", "worker", "watch", "serve"}
ONE_SHOTS = {"minio-init", "migrate", "prefect-setup"}
SOHOA_SERVICES = {"migrate", "worker", "watch", "serve"}
# Settings every sohoa container needs to reach the one archive: the same store, catalog, inbox.
ARCHIVE_FIELDS = {"home", "store_url", "s3_endpoint", "s3_access_key", "s3_secret_key", "s3_secure", "catalog_url"}
INTAKE_FIELDS = {"inbox", "backlog"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|AUTH_STRING|_PIN$")
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}")
SOHOA_NAME = re.compile(r"\bSOHOA_[A-Z0-9_]*[A-Z0-9_]")
PLACEHOLDER = "CHANGE_ME"


# ---- helpers ----------------------------------------------------------------------------------------------------


def _setting_names() -> dict[str, str]:
    """Environment name -> field name, read from Settings itself (prefix, or a field's own alias)."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = {}
    for field_name, field in Settings.model_fields.items():
        aliases = [alias for alias in (field.validation_alias, field.alias) if isinstance(alias, str)]
        for env_name in aliases or [f"{prefix}{field_name}"]:
            names[env_name.upper()] = field_name
    return names


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _resolve(value: str) -> str:
    """A compose value with its interpolations replaced as compose would with nothing set: the default after `:-`,
    a placeholder for a required (`:?`) variable."""

    def one(match: re.Match) -> str:
        operator, argument = match.group(2), match.group(3)
        if operator in (":-", "-"):
            return _resolve(argument)
        return PLACEHOLDER

    previous = None
    while previous != value:
        previous, value = value, INTERPOLATION.sub(one, value)
    return value


def _environment(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def _words(service: dict, key: str) -> list[str]:
    value = service.get(key)
    if value is None:
        return []
    return [str(word) for word in value] if isinstance(value, list) else shlex.split(str(value))


def _env_example() -> tuple[dict[str, str], dict[str, str]]:
    """(set, commented): `VAR=value` lines and `# VAR=value` lines of env.example."""
    set_lines, commented = {}, {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line):
            set_lines[match.group(1)] = match.group(2)
        elif match := re.fullmatch(r"# ([A-Z][A-Z0-9_]*)=(.*)", line):
            commented[match.group(1)] = match.group(2)
    return set_lines, commented


def _settings_from(values: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in list(os.environ):
        if name.startswith("SOHOA_"):
            monkeypatch.delenv(name)
    for name, value in values.items():
        if name.startswith("SOHOA_"):
            monkeypatch.setenv(name, value)
    return Settings()


def _deploy_texts() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in sorted(DEPLOY.rglob("*"))
        if path.is_file() and path.name != ".env"
    }


def _readme() -> str:
    return README.read_text(encoding="utf-8")


# ---- commands -----------------------------------------------------------------------------------------------------


def _sohoa_command(words: list[str]) -> str:
    """The `sohoa` subcommand `words` names (`sohoa migrate`, `sohoa user add`); fails if there is none."""
    import sohoa.cli  # noqa: F401  (registers every command on sohoa.app.app)
    from sohoa.app import app

    command = typer.main.get_command(app)  # a group: its .commands by name (typer carries its own click)
    path = ["sohoa"]
    for word in words[1:]:
        if not hasattr(command, "commands") or word.startswith("-"):
            break
        sub = command.commands.get(word)
        assert sub is not None, f"`{' '.join(path + [word])}` is not a sohoa command ({sorted(command.commands)})"
        command, path = sub, path + [word]
    assert not hasattr(command, "commands"), f"`{' '.join(path)}` needs a subcommand"
    assert len(path) > 1, f"{words}: no sohoa subcommand"
    return " ".join(path)


def _prefect_command(words: list[str]) -> str:
    """The `prefect` subcommand `words` runs, found in Prefect's own CLI app; fails if it is not a command."""
    from prefect.cli._app import _app

    command, path = _app, ["prefect"]
    rest = [word for word in words[1:] if word not in ("--no-prompt", "--prompt")]
    for word in rest:
        if word.startswith("-"):
            break
        try:
            command = command[word]
        except KeyError:
            break
        path.append(word)
    assert len(path) > 1, f"{words}: no prefect subcommand"
    assert command.default_command is not None, f"`{' '.join(path)}` is not a prefect command"
    return " ".join(path)


def _mc_command(words: list[str], alias: str) -> str:
    """`mc mb`, `mc admin user add`, ...: the words before the alias, an option or a path."""
    path = []
    for word in words:
        if word.startswith(("-", "$", '"', "/")) or "/" in word or word == alias:
            break
        path.append(word)
    return " ".join(path)


def _script_commands(script: Path) -> list[list[str]]:
    """The simple commands of a shell script, one list of words each (heredoc bodies and comments left out)."""
    commands, heredoc = [], None
    for raw in script.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if heredoc:
            if line == heredoc:
                heredoc = None
            continue
        if match := re.search(r"<<-?\s*'?(\w+)'?", line):
            heredoc = match.group(1)
            line = line[: match.start()]
        if not line or line.startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words: list[str] = []
        for token in [*lexer, ";"]:
            if token in ("|", "||", "&&", ";", "&"):
                if words:
                    commands.append(words)
                words = []
            else:
                words.append(token)
    return commands


def _check_command(words: list[str], where: str, readme: str, mc_alias: str = "minio") -> str:
    program = Path(words[0]).name
    if program == "sohoa":
        return _sohoa_command(words)
    if program == "prefect":
        named = _prefect_command(words)
    elif program == "mc":
        named = _mc_command(words, mc_alias)
    elif program == "minio":
        named = " ".join(words[:2])
    else:
        raise AssertionError(f"{where}: runs {words[0]!r}, not sohoa, prefect, mc or minio")
    assert named in readme, f"{where}: `{named}` is not described in deploy/README.md"
    return named


# ---- the compose file ---------------------------------------------------------------------------------------------


def test_the_compose_file_parses_and_has_every_service():
    compose = _compose()
    services = compose["services"]
    assert set(services) == SERVICES
    for name in ONE_SHOTS:
        assert services[name]["restart"] == "no", name
    for name in SERVICES - ONE_SHOTS:
        assert services[name]["restart"] == "unless-stopped", name
    assert str(services["worker"]["deploy"]["replicas"]).startswith("${WORKER_REPLICAS")
    assert services["migrate"]["command"] == ["sohoa", "migrate"]
    # The sohoa processes start once the catalog is migrated and the bucket exists.
    for name in ("worker", "watch", "serve"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name
        assert needs["minio-init"]["condition"] == "service_completed_successfully", name
    prefect = _environment(services["prefect-server"])
    assert prefect["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert _resolve(services["postgres"]["image"]).startswith("postgres:15")


def test_every_sohoa_variable_in_deploy_is_a_setting():
    known = _setting_names()
    unknown = {}
    for path, text in _deploy_texts().items():
        for name in set(SOHOA_NAME.findall(text)):
            if name.endswith("_"):  # a family written SOHOA_S3_*: some setting starts with it
                ok = any(known_name.startswith(name) for known_name in known)
            else:
                ok = name in known
            if not ok:
                unknown.setdefault(str(path.relative_to(ROOT)), set()).add(name)
    assert not unknown, f"SOHOA_* variables that schemas/settings.py does not have: {unknown}"


def test_every_setting_and_every_compose_variable_is_documented_in_env_example():
    set_lines, commented = _env_example()
    documented = set(set_lines) | set(commented)
    missing_settings = sorted(set(_setting_names()) - documented)
    assert not missing_settings, f"document these settings in deploy/env.example: {missing_settings}"
    read_by_compose = {match.group(1) for match in INTERPOLATION.finditer(COMPOSE.read_text(encoding="utf-8"))}
    missing_compose = sorted(read_by_compose - documented)
    assert not missing_compose, f"docker-compose.yml reads variables env.example does not document: {missing_compose}"
    # Each variable has its explanation: the line above it is a comment or another variable of the same group.
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.fullmatch(r"(# )?[A-Z][A-Z0-9_]*=.*", line):
            assert index and lines[index - 1].startswith(("#", *documented)), f"env.example line {index + 1} alone"


def test_env_example_holds_only_placeholder_secrets_and_valid_settings(monkeypatch):
    set_lines, commented = _env_example()
    for name, value in {**commented, **set_lines}.items():
        if SECRET_NAME.search(name):
            assert PLACEHOLDER in value, f"env.example: {name} must be a {PLACEHOLDER} placeholder, not a value"
    base = _settings_from(set_lines, monkeypatch)
    assert base.resolved_store_url.startswith("s3://")
    # Each optional example is a valid value too, once uncommented.
    for name, value in commented.items():
        if name.startswith("SOHOA_"):
            _settings_from({**set_lines, name: value}, monkeypatch)


def test_the_compose_environment_makes_valid_settings_for_one_archive(monkeypatch):
    services = _compose()["services"]
    names = _setting_names()
    for name in SOHOA_SERVICES:
        environment = {key: _resolve(value) for key, value in _environment(services[name]).items()}
        passed = {names[key] for key in environment if key in names}
        assert ARCHIVE_FIELDS <= passed, f"{name} lacks {ARCHIVE_FIELDS - passed}"
        settings = _settings_from(environment, monkeypatch)
        assert settings.resolved_store_url.startswith("s3://")
        assert settings.resolved_catalog_url.startswith("postgresql://")
    for name in ("worker", "watch"):
        environment = _environment(services[name])
        assert INTAKE_FIELDS <= {names[key] for key in environment if key in names}, name
        assert environment["PREFECT_API_URL"], name
    # Uploads are saved in serve's own temporary folder, which no worker reads: serve ingests them itself.
    assert "PREFECT_API_URL" not in _environment(services["serve"])
    assert _environment(services["serve"])["SOHOA_SECRET_KEY"].startswith("${SOHOA_SECRET_KEY:?")


def test_compose_secrets_are_required_interpolations_never_literals_nor_arguments():
    compose_text = COMPOSE.read_text(encoding="utf-8")
    services = _compose()["services"]
    for service_name, service in services.items():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key):
                used = [match for match in INTERPOLATION.finditer(value)]
                assert used, f"{service_name}: {key} is a literal; read it from deploy/.env"
                assert PLACEHOLDER not in value and "secret" not in INTERPOLATION.sub("", value).lower()
        for key in ("command", "entrypoint"):
            for word in _words(service, key):
                for match in INTERPOLATION.finditer(word):
                    assert not SECRET_NAME.search(match.group(1)), f"{service_name}: a secret on its command line"
    # Every secret variable compose reads is required (`:?`) or optional and empty by default: no default secret.
    for match in INTERPOLATION.finditer(compose_text):
        if SECRET_NAME.search(match.group(1)) and match.group(2):
            required, empty = match.group(2) == ":?", match.group(2) == ":-" and not match.group(3)
            assert required or empty, f"{match.group(1)} must be required (${{{match.group(1)}:?...}})"


def test_only_the_intake_is_shared_between_services():
    services = _compose()["services"]
    users: dict[str, set[str]] = {}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source, target = _resolve(str(volume)).split(":")[:2]
            if source.startswith("./"):  # a file of deploy/ mounted read-only (an init script)
                assert (DEPLOY / source).is_file(), f"{name} mounts {source}, which is not in deploy/"
                assert str(volume).endswith(":ro"), f"{name}: {source} read-only"
                continue
            users.setdefault(source, set()).add(f"{name}:{target}")
    shared = {source: where for source, where in users.items() if len(where) > 1}
    assert shared == {"intake": {"watch:/srv/mot-cua", "worker:/srv/mot-cua"}}
    for name in ("watch", "worker"):
        environment = _environment(services[name])
        for key in ("SOHOA_INBOX", "SOHOA_BACKLOG"):
            assert environment[key].startswith("/srv/mot-cua/"), f"{name}: {key} outside the intake"


def test_every_image_is_named_in_the_readme():
    readme = _readme()
    for name, service in _compose()["services"].items():
        image = _resolve(service["image"])
        assert f"`{image}`" in readme, f"{name}: image {image} is not named in deploy/README.md"
        if "build" in service:
            build = service["build"]
            assert (DEPLOY / build["context"] / build["dockerfile"]).resolve().is_file(), f"{name}: no Dockerfile"


def test_every_command_a_service_runs_is_real_and_described():
    readme = _readme()
    services = _compose()["services"]
    checked = set()
    for name, service in services.items():
        words = [_resolve(word) for word in _words(service, "entrypoint") + _words(service, "command")]
        if not words:
            assert name == "postgres", f"{name} runs its image's default command"
            continue
        if name == "minio":  # the image's entrypoint is `minio`
            words = ["minio", *words]
        if words[0] in ("sh", "/bin/sh"):
            script = _script_of(service, words[1])
            alias = next(
                (key.removeprefix("MC_HOST_") for key in _environment(service) if key.startswith("MC_HOST_")), ""
            )
            for script_words in _script_commands(script):
                if Path(script_words[0]).name in ("sohoa", "prefect", "mc"):
                    checked.add(_check_command(script_words, f"{name} ({script.name})", readme, alias))
            continue
        checked.add(_check_command(words, name, readme))
    assert {"sohoa migrate", "sohoa watch", "sohoa serve", "prefect worker start", "prefect server start"} <= checked
    assert {"prefect work-pool set-concurrency-limit", "prefect concurrency-limit create", "prefect deploy"} <= checked
    assert "prefect automation create" in checked
    assert {"mc mb", "mc admin user add"} <= checked


def _script_of(service: dict, container_path: str) -> Path:
    """The deploy/ file a service runs: mounted into the container, or in the image's source tree."""
    for volume in service.get("volumes", []):
        source, target = _resolve(str(volume)).split(":")[:2]
        if target == container_path:
            return DEPLOY / source
    path = ROOT / container_path  # the image's WORKDIR is the source tree (deploy/Dockerfile)
    assert path.is_file() and DEPLOY in path.parents, container_path
    return path


def test_the_minio_init_creates_the_bucket_with_object_lock_and_the_secret_on_stdin():
    script = (DEPLOY / "minio" / "init-bucket.sh").read_text(encoding="utf-8")
    assert "mc mb --ignore-existing --with-lock" in script
    assert re.search(r'printf .*"\$SOHOA_S3_SECRET_KEY" \| mc admin user add minio "\$SOHOA_S3_ACCESS_KEY"\n', script)
    assert "BypassGovernanceRetention" not in script
    init = (DEPLOY / "postgres" / "init-databases.sh").read_text(encoding="utf-8")
    assert "\\getenv catalog_password PG_CATALOG_PASSWORD" in init and "-v pw" not in init


# ---- systemd ------------------------------------------------------------------------------------------------------

UNIT_FILES = ["sohoa-serve.service", "sohoa-watch.service", "sohoa-worker@.service", "prefect-server.service"]


def _unit(path: Path) -> tuple[configparser.ConfigParser, dict[str, list[str]]]:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",), comment_prefixes=("#",))
    parser.optionxform = str  # systemd keys are case-sensitive
    text = path.read_text(encoding="utf-8")
    parser.read_string(text, source=str(path))
    service: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            service.setdefault(key, []).append(value)
    return parser, service


@pytest.mark.parametrize("name", UNIT_FILES)
def test_systemd_unit_starts_a_real_command_as_the_dedicated_user(name):
    parser, service = _unit(UNITS / name)
    assert set(parser.sections()) == {"Unit", "Service", "Install"}
    assert parser["Install"]["WantedBy"] == "multi-user.target"
    assert service["User"] == ["sohoa"] and service["Group"] == ["sohoa"]
    assert "/etc/sohoa/sohoa.env" in service["EnvironmentFile"]
    assert service["Restart"] == ["on-failure"] and service["RestartSec"]
    (exec_start,) = service["ExecStart"]
    words = shlex.split(exec_start)
    assert words[0].startswith(INSTALL_VENV_BIN), f"{name}: ExecStart outside the virtualenv"
    program = words[0].removeprefix(INSTALL_VENV_BIN)
    assert program in ("sohoa", "prefect") and (VENV_BIN / program).is_file(), f"{name}: no {program} in the venv"
    _check_command([program, *words[1:]], name, _readme())
    for secret in ("PASSWORD", "SECRET", "AUTH_STRING"):
        assert secret not in exec_start
    if name == "sohoa-worker@.service":
        assert "%i" in exec_start  # one worker name per instance
    if name == "sohoa-serve.service":
        assert service["UnsetEnvironment"] == ["PREFECT_API_URL"]
    if name == "prefect-server.service":
        assert "/etc/sohoa/prefect-server.env" in service["EnvironmentFile"]


def test_systemd_analyze_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    paths = []
    for name in UNIT_FILES:
        text = (UNITS / name).read_text(encoding="utf-8").replace(INSTALL_VENV_BIN, f"{VENV_BIN}/")
        path = tmp_path / name.replace("@.", "@1.")
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    completed = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True, timeout=60)
    ours = [name.split("@")[0] for name in UNIT_FILES]
    problems = [line for line in completed.stderr.splitlines() if any(unit in line for unit in ours)]
    assert completed.returncode == 0 and not problems, completed.stderr
