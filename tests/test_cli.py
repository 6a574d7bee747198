"""`sdmd migrate` is idempotent and creates every table, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa


def test_migrate_twice(tmp_path, empty_database_url):
    database_url = empty_database_url
    env = {**os.environ, "SDMD_DATA_DIR": str(tmp_path / "d"), "SDMD_STACKS_DIR": str(tmp_path / "s"),
           "SDMD_DATABASE_URL": database_url}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "sdmd.cli", "migrate"], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    engine = sa.create_engine(database_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"docker_service_configs", "docker_services", "audit_log", "alembic_version"} <= tables
