"""The catalog's schema migrations (Alembic): `catalog.schema` applies them (`sohoa migrate`)."""
