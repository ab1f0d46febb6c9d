"""sohoa: digitise public-service dossiers."""

__version__ = "0.1.0"
