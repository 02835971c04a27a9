r"""What singles out the home's own certificates in TLS errors: their digests and authority.

aiohttp's ServerFingerprintMismatch (client_exceptions.py), raised when a server's certificate
is not the one pinned with ``aiohttp.Fingerprint``, renders the pinned and the presented
SHA-256 digests as bytes reprs: its str is its args ("(b'\xca\x97...', b'>#\xe8...',
'nas.x', 5001)") and its repr "<ServerFingerprintMismatch expected=b'...' got=b'...' host=...
port=...>". A digest of the home's own certificate singles the home out as well as its name
does; the fingerprints family reads them only in their hex and base64 forms.

After "(b", ", b", "expected=b" and "got=b" (`GATES`, found in the keyword pass) one bytes
literal is read: if it holds a digest's length (16, 20, 32, 48 or 64 bytes) with at least one
byte written as an escape (binary data, not text), its content becomes ``[fingerprint]``.

Go's crypto/x509 names the authority it could not trust (UnknownAuthorityError: "x509:
certificate signed by unknown authority (possibly because of \"...\" while trying to verify
candidate authority certificate \"Smith Family CA\")"): its common name, else its organisation,
else "serial:<n>". The Docker daemon gives it when a private registry's certificate is
self-signed, and aiodocker's and docker-py's errors quote it. An authority the system does not
trust is the home's own, so the name becomes ``[filtered]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

_BYTES_GATES: Final = ("(b'", ", b'", "expected=b'", "got=b'", '(b"', ', b"', 'expected=b"',
                       'got=b"')
_AUTHORITY: Final = 'candidate authority certificate "'
GATES: Final = (*_BYTES_GATES, _AUTHORITY)
_AUTHORITY_RE: Final = re.compile(r'((?:[^"\\\n\x00]|\\[^\n\x00]){1,256}+)"')

_LITERAL_RE: Final = {
    "'": re.compile(r"((?:[^'\\\n\x00]|\\[^\n\x00]){1,256}+)'"),
    '"': re.compile(r'((?:[^"\\\n\x00]|\\[^\n\x00]){1,256}+)"'),
}
# One byte in a bytes repr: "\xca", "\n", "\\", "\'", or a printable character
_BYTE_RE: Final = re.compile(r"\\x[0-9a-f]{2}|\\.|.", re.DOTALL)
_DIGEST_SIZES: Final = frozenset({16, 20, 32, 48, 64})


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Digests in bytes reprs, and an untrusted authority's name, after `GATES`.

    `gates`: where each of `GATES` starts in the lowercased text (the keyword pass).
    """
    out: list[Edit] = []
    for at in gates.get(_AUTHORITY, ()):
        m = _AUTHORITY_RE.match(text, at + len(_AUTHORITY))
        if m is not None and m.group(1) not in PLACEHOLDER_VALUES:
            out.append((m.start(1), m.end(1), tally.hit("filtered")))
    for gate in _BYTES_GATES:
        for at in gates.get(gate, ()):
            start = at + len(gate)
            m = _LITERAL_RE[gate[-1]].match(text, start)
            if m is None or "\\x" not in m.group(1):
                continue
            if len(_BYTE_RE.findall(m.group(1))) in _DIGEST_SIZES:
                out.append((m.start(1), m.end(1), tally.hit("fingerprint")))
    return out
