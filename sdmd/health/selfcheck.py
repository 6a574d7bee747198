"""The image's HEALTHCHECK: `python -m sdmd.health.selfcheck /healthz [port]`.

Asks the local sdmd over HTTPS when TLS is on (SDMD_TLS_*), else HTTP; the certificate is not checked
here (it may be self-signed, and the name is 127.0.0.1), only that sdmd answers 200.
"""

from __future__ import annotations

import ssl
import sys
import urllib.request

from sdmd.config import Settings


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    port = argv[2] if len(argv) > 2 else "8000"
    tls = Settings().tls_enabled
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}{path}"
    context = ssl._create_unverified_context() if tls else None  # a liveness probe on loopback
    try:
        with urllib.request.urlopen(url, timeout=4, context=context) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
