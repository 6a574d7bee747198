"""Cost of authentication per request (not run by the suite).

    python tests/bench/bench_auth.py                       # SQLite in a temp dir
    python tests/bench/bench_auth.py postgresql+psycopg://postgres@127.0.0.1:5432/DBNAME   # an empty database
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
import time

from sdmd.auth import users
from sdmd.config import Settings
from sdmd.core import Core


def main(url: str) -> None:
    tmp = pathlib.Path(tempfile.mkdtemp())
    core = Core(Settings(data_dir=tmp / "d", stacks_dir=tmp / "s", database_url=url))
    core.settings.ensure_dirs()
    core.db.migrate()
    users.create(core.db, email="bench@example.com", password="benchmark password")
    token = core.auth.issue_local_session(email="bench@example.com")["access_token"]
    for _ in range(20):
        core.auth.authenticate(access_token=token, client_addr=None)
    n = 500
    start = time.perf_counter()
    for _ in range(n):
        core.auth.authenticate(access_token=token, client_addr=None)
    per_request = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for _ in range(n):
        core.auth.backend.verifier.verify(token)
    signature = (time.perf_counter() - start) / n
    start = time.perf_counter()
    core.auth.login(username="bench@example.com", password="benchmark password", client_addr="bench")
    login = time.perf_counter() - start
    print(f"{core.db.engine.dialect.name}: token check {per_request * 1000:.2f} ms/request "
          f"(ES256 verification alone {signature * 1000:.2f} ms), login with argon2id {login * 1000:.0f} ms")
    core.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
