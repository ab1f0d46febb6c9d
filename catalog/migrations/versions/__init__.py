"""One file per revision of the catalog's schema, oldest first (0001 is the baseline)."""
