"""Checks on what a person or a script passes to a command, before anything is read or written: paths that are
empty, unreadable or inside the archive's own data, and dossier codes taken from folder names."""

from __future__ import annotations

from pathlib import Path

from schemas.failures import SohoaFailure


class EmptyPath(SohoaFailure):
    code = "empty_path"
    vi = "Đường dẫn rỗng: hãy ghi rõ tệp hoặc thư mục (một biến rỗng trong script?)"
    en = "Empty path: name the file or folder (an empty variable in a script?)"


class PathInsideArchive(SohoaFailure):
    code = "path_inside_archive"
    vi = (
        "Đường dẫn nằm trong dữ liệu của chính sohoa (kho lưu trữ, danh mục, SOHOA_HOME) hoặc chứa dữ liệu đó: "
        "sohoa không lưu trữ hay ghi đè dữ liệu của chính nó"
    )
    en = (
        "The path is inside sohoa's own data (the store, the catalog, SOHOA_HOME) or holds it: sohoa neither "
        "archives nor overwrites its own data"
    )


class UnreadablePath(SohoaFailure):
    code = "unreadable_path"
    vi = "Không đọc được đường dẫn (tên quá dài, vòng liên kết, không có quyền…)"
    en = "The path cannot be read (name too long, a link loop, no permission…)"


def _local_path(url: str) -> Path | None:
    """The folder of a file:// store URL (None for s3://)."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    return Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" and parsed.path else None


def archive_data_paths(settings) -> list[Path]:
    """What sohoa keeps and must never take as input: the store folders and the catalog file (with its
    -wal/-shm/-journal companions)."""
    from sqlalchemy.engine import make_url

    paths = []
    for url in (settings.resolved_store_url, settings.replica_url):
        folder = _local_path(url) if url else None
        if folder:
            paths.append(folder)
    catalog = make_url(settings.resolved_catalog_url)
    if catalog.get_backend_name() == "sqlite" and catalog.database and catalog.database != ":memory:":
        database = Path(catalog.database).resolve()
        paths += [database] + [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
    return paths


def within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_ingest_paths(paths: list[str], dossier: str | None, settings) -> None:
    """Refuse, before anything is stored, an empty path, the store or the catalog, and SOHOA_HOME or any folder
    holding sohoa's data (the archive would archive itself: `sohoa ingest ""` is the current folder). Other
    folders under SOHOA_HOME (the inbox, the backlog, the demo's samples) hold scans and may be ingested. A
    folder's name becomes its dossier code unless --dossier is given, so it must be a valid one."""
    from archive.ingest import expand_inputs
    from schemas.codes import check_dossier_code

    data = archive_data_paths(settings)

    def is_archive_data(path: Path) -> bool:
        return any(within(path, root) for root in data)

    for position, raw in enumerate(paths, start=1):
        argument = f"PATH {position}"
        if not raw.strip():
            raise EmptyPath(argument)
        try:
            resolved = Path(raw).resolve()
            if is_archive_data(resolved) or any(within(root, resolved) for root in [settings.home_dir, *data]):
                raise PathInsideArchive(argument)
            if resolved.is_dir():
                # What ingest will take from the folder: a link inside it must not lead into the archive either.
                for item in expand_inputs([raw], dossier):
                    if is_archive_data(item.path.resolve()):
                        raise PathInsideArchive(f"{argument}: a file in the folder leads there")
                    check_dossier_code(item.dossier, f"{argument}: folder name as dossier code (or use --dossier)")
        except OSError as error:  # the reason only: the path may hold a person's name
            raise UnreadablePath(f"{argument}: {error.strerror or type(error).__name__}") from None
        except RuntimeError:  # Path.resolve() on a symlink loop (Python 3.11)
            raise UnreadablePath(f"{argument}: symlink loop") from None
