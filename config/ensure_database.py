"""Create the PostgreSQL database named by DATABASE_URL if it does not exist yet,
so that `make serve` and `make bench` work on a fresh machine. SQLite needs nothing."""

import os
import sys
from urllib.parse import urlparse

import psycopg
from psycopg import sql


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        return 0
    name = parsed.path.lstrip("/")
    if not name:
        print("DATABASE_URL names no database", file=sys.stderr)
        return 2
    maintenance = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            print(f"Created the PostgreSQL database {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
