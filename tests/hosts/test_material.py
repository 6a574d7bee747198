"""Host material that cannot be used is refused with a clear 422, whatever cryptography makes of it."""

from __future__ import annotations

import pytest

from sdmd.errors import InvalidInput
from sdmd.hosts.material import check_ssh_key

# A real EC key on secp112r1, a curve cryptography does not support (UnsupportedAlgorithm, not ValueError).
UNSUPPORTED_CURVE = """-----BEGIN EC PRIVATE KEY-----
MD4CAQEEDpYuEYXM8+x/C0BDmK5CoAcGBSuBBAAGoSADHgAEevi9fKaGtSl9e/LS
hIgi4XIL24zmYbdsbaOCGw==
-----END EC PRIVATE KEY-----
"""


@pytest.mark.parametrize("key", [UNSUPPORTED_CURVE, "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH "
                                 "PRIVATE KEY-----\n", "not a key at all"])
def test_keys_that_cannot_be_loaded_are_invalid_input(key):
    with pytest.raises(InvalidInput) as caught:
        check_ssh_key(key)
    assert caught.value.message == "invalid SSH key"
