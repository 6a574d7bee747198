"""Print sdmd's OpenAPI document (used by scripts/gen_api.sh and the staleness test)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def openapi_text() -> str:
    from sdmd.app import create_app
    from sdmd.config import Settings

    # A throwaway data dir: building the app must not touch the real one.
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", stacks_dir=Path(tmp) / "stacks",
                            web_dir=Path(tmp) / "no-web")
        app = create_app(settings)
        return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(openapi_text())
