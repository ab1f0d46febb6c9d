"""The web edge: the JSON API (and, later, the pages) that `sohoa serve` runs, on the application layer."""
