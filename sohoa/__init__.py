"""sohoa: digitise public-service dossiers. This package is the `sohoa` command line (`sohoa.cli`)."""

from schemas.version import __version__

__all__ = ["__version__"]
