#!/bin/bash
# Run once by the postgres image, on an empty data volume (/docker-entrypoint-initdb.d): two roles and two
# databases, the sohoa catalog and Prefect's own. Passwords come from the environment (PG_CATALOG_PASSWORD,
# PG_PREFECT_PASSWORD) through psql's \getenv, never on a command line. The extensions the catalog's search
# and Prefect use are created here by the superuser (both are trusted extensions too, so the owners may).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\getenv catalog_password PG_CATALOG_PASSWORD
\getenv prefect_password PG_PREFECT_PASSWORD
CREATE ROLE sohoa LOGIN PASSWORD :'catalog_password';
CREATE ROLE prefect LOGIN PASSWORD :'prefect_password';
CREATE DATABASE sohoa OWNER sohoa ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE prefect OWNER prefect ENCODING 'UTF8' TEMPLATE template0;
SQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname sohoa <<'SQL'
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname prefect <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
