"""The scrubber against the text of exceptions, as str(exc) and repr(exc) render them.

An event's exception value is the last line of a traceback: the text a LIBRARY wrote, not the
Supervisor. Each case is such a text, produced by raising the exception with the real library
(aiohttp 3.14 and yarl, docker-py 7 over a Unix socket answering as the Docker daemon does,
GitPython 3 running git, CPython's OSError, ssl and urllib3), or read in the library's source
where it could not run here, with every value that names a home or a person made up: (text,
the values that must not survive, the library, where it renders the text). The output must
also be a fixed point, and the same text as an event's exception value must lose the same
values. KEPT texts name no one, and the words listed, which triage needs, must stay.
"""

from __future__ import annotations

import pytest

from crash_reporter.scrub import scrub_event, scrub_text
from tests.test_scrub_linear import GROWTH_LIMIT, _grow, _growth, _per_kb, _texts

CASES: list[tuple[str, tuple[str, ...], str, str]] = [
    # aiohttp 3.14: client_exceptions.py ClientResponseError.__str__ "%s, message=%r, url=%r"
    # (real_url; older releases: "url=URL('...')"), ClientConnectorError.__str__ "Cannot connect
    # to host %s:%s ssl:%s [%s]", and their reprs (RequestInfo with the request's headers)
    ("500, message='Internal Server Error', url='http://ha.dupont-home.de:8123/api/webhook/"
     "a1b2c3/500?token=s3cretTok&email=jean@dupont.fr'",
     ("dupont-home", "s3cretTok", "jean@dupont.fr"), "aiohttp", "ClientResponseError.__str__"),
    ("404, message='Not Found', url=URL('http://jean:Hunter2@ha.dupont-home.de:8123/api/"
     "hassio_ingress/Xq3zYlK9cD8wQ2vB_nT5mR7pF1gH4jS6/')",
     ("jean", "Hunter2", "dupont-home", "Xq3zYlK9cD8wQ2vB_nT5mR7pF1gH4jS6"), "aiohttp < 3.10",
     "ClientResponseError.__str__ with yarl's URL repr"),
    ("ClientResponseError(RequestInfo(url=URL('http://ha.dupont-home.de:8123/api/states/404'), "
     "method='GET', headers=<CIMultiDictProxy('Host': 'ha.dupont-home.de:8123', 'Accept': '*/*', "
     "'User-Agent': 'Python/3.11 aiohttp/3.14.5', 'Authorization': 'Basic "
     "amVhbi5kdXBvbnQ6SHVudGVyMnB3', 'Cookie': 'session=9f8e7d6c5b4a')>, real_url=URL('http://"
     "ha.dupont-home.de:8123/api/states/404')), (), status=404, message='Not Found')",
     ("dupont-home", "amVhbi5kdXBvbnQ6SHVudGVyMnB3", "9f8e7d6c5b4a"), "aiohttp",
     "repr(ClientResponseError): RequestInfo's headers"),
    ("200, message='Attempt to decode JSON with unexpected mimetype: text/html; charset=utf-8', "
     "url='http://ha.dupont-home.de:8123/api/200?api_key=abcd1234secret'",
     ("dupont-home", "abcd1234secret"), "aiohttp", "ContentTypeError (ClientResponse.json)"),
    ("404, message='Invalid response status', url='http://ha.dupont-home.de/api/websocket?"
     "access_token=eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqZWFuIn0.c2lnbmF0dXJl'",
     ("dupont-home", "eyJhbGciOiJIUzI1NiJ9"), "aiohttp", "WSServerHandshakeError"),
    ("Cannot connect to host nas.dupont-home.lan:5001 ssl:default [Connect call failed "
     "('192.168.1.77', 5001)]",
     ("dupont-home", "192.168.1.77"), "aiohttp", "ClientConnectorError.__str__"),
    ("ClientConnectorDNSError(ConnectionKey(host='mqtt.dupont-home.lan', port=1883, "
     "is_ssl=False, ssl=True, proxy=None, proxy_auth=None, proxy_headers_hash=None, "
     "server_hostname=None), OSError(-2, 'Name or service not known'))",
     ("dupont-home",), "aiohttp", "repr(ClientConnectorDNSError): ConnectionKey"),
    ("Cannot connect to host ha.martin-family.de:443 ssl:True [SSLCertVerificationError: (1, "
     "\"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, "
     "certificate is not valid for 'ha.martin-family.de'. (_ssl.c:1006)\")]",
     ("martin-family",), "aiohttp + ssl", "ClientConnectorCertificateError (OpenSSL's text)"),
    ("Cannot connect to host ha.dupont-home.de:443 ssl:True [hostname 'ha.dupont-home.de' "
     "doesn't match either of 'nas.dupont-home.lan', 'dupont.duckdns.org']",
     ("dupont-home", "dupont.duckdns"), "aiohttp + ssl", "ssl.CertificateError (match_hostname)"),
    ("NonHttpUrlClientError(URL('ftp://jean:Hunter2@nas.dupont-home.lan/backups'))",
     ("jean", "Hunter2", "dupont-home"), "aiohttp + yarl", "repr(NonHttpUrlClientError)"),
    ("Multiple exceptions: [Errno 111] Connect call failed ('192.168.1.5', 8123), [Errno 101] "
     "Connect call failed ('fe80::1c2d:3e4f:5a6b:7c8d%wlan0', 8123, 0, 3)",
     ("192.168.1.5", "fe80::1c2d:3e4f:5a6b:7c8d"), "asyncio", "base_events.create_connection"),
    # aiohttp's ServerFingerprintMismatch (a pinned certificate's SHA-256 differs): its str is
    # its args, its repr names them; both give the digests as bytes reprs
    ("(b'\\xca\\x97\\x81\\x12\\xca\\x1b\\xbd\\xca\\xfa\\xc21\\xb3\\x9a#\\xdcM\\xa7\\x86"
     "\\xef\\xf8\\x14|Nr\\xb9\\x80w\\x85\\xaf\\xeeH\\xbb', b'>#\\xe8\\x16\\x009YJ3\\x89Oed"
     "\\xe1\\xb14\\x8b\\xbdz\\x00\\x88\\xd4,J\\xcbs\\xee\\xae\\xd5\\x9c\\x00\\x9d', "
     "'nas.dupont-home.lan', 5001)",
     ("\\xca\\x97\\x81", "\\xe8\\x16", "dupont-home"), "aiohttp",
     "client_exceptions.py ServerFingerprintMismatch (str: its args)"),
    ("<ServerFingerprintMismatch expected=b'\\xca\\x97\\x81\\x12\\xca\\x1b\\xbd\\xca\\xfa"
     "\\xc21\\xb3\\x9a#\\xdcM\\xa7\\x86\\xef\\xf8\\x14|Nr\\xb9\\x80w\\x85\\xaf\\xeeH\\xbb' "
     "got=b'>#\\xe8\\x16\\x009YJ3\\x89Oed\\xe1\\xb14\\x8b\\xbdz\\x00\\x88\\xd4,J\\xcbs"
     "\\xee\\xae\\xd5\\x9c\\x00\\x9d' host='nas.dupont-home.lan' port=5001>",
     ("\\xca\\x97\\x81", "\\xe8\\x16", "dupont-home"), "aiohttp",
     "client_exceptions.py ServerFingerprintMismatch.__repr__"),
    # Go's crypto/x509 UnknownAuthorityError, in the Docker daemon's error for a private
    # registry, as aiodocker renders it
    ('[500] Get "https://registry.dupont-home.de/v2/": tls: failed to verify certificate: x509: '
     'certificate signed by unknown authority (possibly because of "crypto/rsa: verification '
     'error" while trying to verify candidate authority certificate "Dupont Family CA")',
     ("dupont-home", "Dupont Family CA"), "aiodocker + Go crypto/x509",
     "verify.go UnknownAuthorityError.Error()"),
    # urllib3 2 / requests (under docker-py): MaxRetryError "%s: Max retries exceeded with url:
    # %s (Caused by %r)"
    ("HTTPConnectionPool(host='nas.dupont-home.lan', port=2375): Max retries exceeded with "
     "url: /v1.46/containers/json?limit=-1&all=0 (Caused by NameResolutionError(\"HTTPConnection"
     "(host='nas.dupont-home.lan', port=2375): Failed to resolve 'nas.dupont-home.lan' ([Errno "
     "-2] Name or service not known)\"))",
     ("dupont-home",), "requests + urllib3", "MaxRetryError, NameResolutionError"),
    ("HTTPConnectionPool(host='192.168.1.40', port=80): Max retries exceeded with url: "
     "/cgi-bin/api.cgi?account=jeandupont&name=Jean+Dupont (Caused by ConnectTimeoutError("
     "<urllib3.connection.HTTPConnection object at 0x7f1e2c3b4a90>, 'Connection to "
     "192.168.1.40 timed out. (connect timeout=10)'))",
     ("jeandupont", "Jean", "Dupont", "192.168.1.40"), "requests + urllib3",
     "MaxRetryError: the request's query, people's names by their key"),
    ("HTTPSConnectionPool(host='files.dupont-home.de', port=443): Max retries exceeded with "
     "url: /api/v1/download?file=%2Fmnt%2Fdata%2Fsupervisor%2Fshare%2FJean%20Dupont%2Fa.txt "
     "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
     "certificate verify failed: self-signed certificate (_ssl.c:1006)')))",
     ("Jean", "Dupont", "dupont-home"), "requests + urllib3",
     "MaxRetryError: urlencode's %2F-encoded path"),
    ("500, message='Internal Server Error', url='http://172.30.33.5:8099/api/files?path="
     "%2Fhome%2Fjean.dupont%2Fphotos&name=Jean%20Dupont'",
     ("jean.dupont", "Jean%20Dupont"), "aiohttp", "ClientResponseError.__str__, an app's API"),
    # GitPython: GitCommandError.__str__ (git/exc.py CommandError): cmdline, then git's stderr
    ("Cmd('git') failed due to: exit code(128)\n  cmdline: git clone -v --recursive "
     "--depth=1 --shallow-submodules -- https://*****:*****@git.dupont-home.de/jeandupont/"
     "ha-apps /data/addons/git/4f1d6e2a\n  stderr: 'Cloning into '/data/addons/git/4f1d6e2a'..."
     "\nfatal: unable to access 'https://git.dupont-home.de/jeandupont/ha-apps/': Could not "
     "resolve host: git.dupont-home.de\n'",
     ("jeandupont", "dupont-home"), "GitPython", "git/exc.py GitCommandError.__str__"),
    ("Cmd('git') failed due to: exit code(128)\n  cmdline: git fetch -v -- origin\n  stderr: "
     "'fatal: unable to access 'https://github.com/jeandupont/ha-apps/': The requested URL "
     "returned error: 403'",
     ("jeandupont",), "GitPython", "git/exc.py GitCommandError.__str__ (git fetch)"),
    ("Cmd('git') failed due to: exit code(128)\n  cmdline: git fetch -v -- origin\n  stderr: "
     "'fatal: Authentication failed for 'https://gitlab.com/jeandupont/ha-apps.git/''",
     ("jeandupont",), "GitPython", "git/exc.py GitCommandError.__str__ (git fetch)"),
    ("GitCommandError(['git', 'clone', '-v', '--recursive', '--depth=1', "
     "'--shallow-submodules', '--', 'https://*****:*****@git.dupont-home.de/jeandupont/ha-apps',"
     " '/data/addons/git/4f1d6e2a'], 128, b\"Cloning into '/data/addons/git/4f1d6e2a'...\\n"
     "fatal: unable to access 'https://git.dupont-home.de/jeandupont/ha-apps/': Could not "
     "resolve host: git.dupont-home.de\\n\")",
     ("jeandupont", "dupont-home"), "GitPython", "repr(GitCommandError)"),
    # docker-py: APIError.__str__ (docker/errors.py): "<status> Server Error for <url>: <reason>
    # (\"<the daemon's explanation>\")"; aiodocker: DockerError.__str__ "[<status>] <message>"
    ('500 Server Error for http+docker://localhost/v1.46/images/create?tag=1.2&fromImage='
     'registry.dupont-home.de%2Fjeandupont%2Fzigbee-bridge: Internal Server Error ("Get '
     '"https://registry.dupont-home.de/v2/": unauthorized: incorrect username or password")',
     ("jeandupont", "dupont-home"), "docker-py", "docker/errors.py APIError.__str__ (pull)"),
    ("APIError(HTTPError('500 Server Error: Internal Server Error for url: http+docker://"
     "localhost/v1.46/images/create?tag=1.2&fromImage=registry.dupont-home.de%3A5000%2F"
     "jeandupont%2Fzigbee-bridge'))",
     ("jeandupont", "dupont-home"), "docker-py", "repr(APIError), requests' HTTPError"),
    ('404 Client Error for http+docker://localhost/v1.46/images/registry.dupont-home.de/'
     'jeandupont/zigbee-bridge:1.2/json: Not Found ("No such image: registry.dupont-home.de/'
     'jeandupont/zigbee-bridge:1.2")',
     ("jeandupont", "dupont-home"), "docker-py", "docker/errors.py ImageNotFound (images.get)"),
    ("[404] No such image: registry.dupont-home.de/jeandupont/zigbee-bridge:1.2",
     ("jeandupont", "dupont-home"), "aiodocker", "aiodocker/exceptions.py DockerError.__str__"),
    ("DockerError(404, 'No such image: nas-dupont:5000/jeandupont/zigbee-bridge:1.2')",
     ("jeandupont", "nas-dupont"), "aiodocker", "repr(DockerError)"),
    ("Error response from daemon: pull access denied for registry.dupont-home.de/jeandupont/"
     "zigbee-bridge, repository "
     "does not exist or may require 'docker login': denied: requested access to the resource is "
     "denied",
     ("jeandupont", "dupont-home"), "Docker daemon",
     "distribution errors, as docker-py and aiodocker quote"),
    ("[404] manifest for registry.dupont-home.de:5000/jeandupont/zigbee-bridge:1.2 not found: "
     "manifest unknown: manifest unknown",
     ("jeandupont", "dupont-home"), "Docker daemon", "distribution errors, via aiodocker"),
    ("Can't install registry.dupont-home.de/jeandupont/zigbee-bridge:1.2: [500] Get "
     "\"https://registry.dupont-home.de/v2/\": unauthorized: incorrect username or password",
     ("jeandupont", "dupont-home"), "Supervisor + aiodocker",
     "supervisor/docker/interface.py install(), DockerError's text"),
    # Go's os.PathError ("<op> <path>: <errno>"), unquoted, in the Docker daemon's and runc's
    # errors as aiodocker and docker-py render them; and CPython's OSError, which quotes a
    # file name holding an apostrophe with double quotes
    ("[500] error while creating mount source path '/mnt/data/supervisor/share/Dupont Photos': "
     "mkdir /mnt/data/supervisor/share/Dupont Photos: file exists",
     ("Dupont",), "aiodocker", "DockerError.__str__, moby's volume mount error"),
    ('400 Client Error for http+docker://localhost/v1.46/containers/create?name=addon_local_x: '
     'Bad Request ("invalid mount config for type "bind": bind source path does not exist: '
     '/mnt/data/supervisor/media/Jean Dupont")',
     ("Jean", "Dupont"), "docker-py", "APIError.__str__, moby's bind mount check"),
    ("DockerError(400, 'invalid mount config for type \"bind\": bind source path does not "
     "exist: /mnt/data/supervisor/media/Jean Dupont')",
     ("Jean", "Dupont"), "aiodocker", "repr(DockerError)"),
    ("rename /mnt/data/supervisor/share/Jean Dupont /mnt/data/supervisor/share/Dupont old: "
     "invalid cross-device link",
     ("Jean", "Dupont"), "Go", "os.LinkError.Error(): \"<op> <old> <new>: <errno>\""),
    ("open /home/jean dupont/.ssh/id_ed25519: permission denied",
     ("jean", "dupont"), "Go", "os.PathError.Error()"),
    ('[Errno 2] No such file or directory: "/media/Jean\'s Photos/2024"',
     ("Jean",), "CPython", "OSError.__str__ (repr of the file name)"),
    ("[Errno 18] Invalid cross-device link: '/data/backup/a1b2c3d4.tar' -> "
     "'/data/mounts/Dupont_NAS/a1b2c3d4.tar'",
     ("Dupont_NAS",), "CPython", "OSError.__str__ with filename2 (os.rename)"),
    ("[Errno 17] File exists: '/media/Photos Dupont' -> '/data/share/photos'",
     ("Dupont",), "CPython", "OSError.__str__ with filename2 (os.symlink)"),
    # a USB disk's udev by-id name ends with its LUN ("-0:0"): pyudev's
    # DeviceNotFoundByFileError (raised for real) and OS-Agent's data disk errors (Go) quote it
    ("[Errno 2] No such file or directory: '/dev/disk/by-id/usb-SanDisk_Ultra_"
     "4C530001234567891234-0:0'",
     ("4C530001234567891234",), "pyudev", "_errors.py DeviceNotFoundByFileError"),
    ("failed to format data disk /dev/disk/by-id/usb-Samsung_Flash_Drive_FIT_0374219080005623"
     "-0:0-part1: exit status 1",
     ("0374219080005623",), "OS-Agent (Go)", "datadisk, a USB disk's partition"),
    # PyYAML's MarkedYAMLError (raised for real with PyYAML 6): its snippet quotes the line it
    # stopped at, here a value whose closing quote never came
    ('while scanning a quoted scalar\n  in "<unicode string>", line 2, column 11:\n    '
     'password: "Hunter2\n              ^\nfound unexpected end of stream\n  in "<unicode '
     'string>", line 3, column 8:\n    ssid: Dupont Home\n           ^',
     ("Hunter2", "Dupont Home"), "PyYAML", "error.py Mark.get_snippet"),
    ("Can't read YAML: while scanning a quoted scalar: token: 'eyJhbGciOiJIUzI1NiJ9.x",
     ("eyJhbGciOiJIUzI1NiJ9",), "PyYAML", "a secret whose closing quote was cut"),
    # UDisks2's errors, as dbus-fast's DBusError.text and the Supervisor's DBusFatalError
    # (utils/dbus.py from_dbus_error) carry them: GLib's `%s' quotes, and an unquoted mount point
    ("Device /dev/sda1 is already mounted at `/mnt/data/supervisor/media/Jean Dupont'.\n",
     ("Jean", "Dupont"), "dbus-fast + UDisks2", "udiskslinuxfilesystem.c AlreadyMounted"),
    ("Error creating mount point `/run/media/root/Jean Photos': Permission denied",
     ("Jean",), "dbus-fast + UDisks2", "udiskslinuxfilesystem.c, the mount point"),
    ("Error mounting /dev/sda1 at /run/media/root/Jean Photos: wrong fs type, bad option, bad "
     "superblock on /dev/sda1, missing codepage or helper program, or other error",
     ("Jean",), "dbus-fast + UDisks2", "udiskslinuxfilesystem.c \"Error mounting %s at %s: %s\""),
    # An app the user publishes on a public registry under their own account: the account
    # goes as a repository's owner does (repos); publishers' accounts stay (KEPT)
    ('404 Client Error for http+docker://localhost/v1.46/images/ghcr.io/jeandupont/cam-bridge/'
     'json: Not Found ("No such image: ghcr.io/jeandupont/cam-bridge:1.2")',
     ("jeandupont",), "docker-py", "APIError, an image on ghcr.io under the user's account"),
    ('Head "https://ghcr.io/v2/jeandupont/cam-bridge/manifests/1.2": denied',
     ("jeandupont",), "dockerd", "distribution's registry URL on a public registry"),
]

KEPT: list[tuple[str, tuple[str, ...], str]] = [
    ("Cmd('git') failed due to: exit code(128)\n  cmdline: git fetch -v -- origin\n  stderr: "
     "'fatal: unable to access 'https://github.com/home-assistant/addons/': Could not resolve "
     "host: github.com'",
     ("Cmd('git') failed due to: exit code(128)", "git fetch -v -- origin",
      "https://github.com/home-assistant/addons/", "Could not resolve host: github.com"),
     "GitPython, the Supervisor's built-in repository"),
    ('404 Client Error for http+docker://localhost/v1.46/images/ghcr.io/hassio-addons/adguard/'
     'amd64:5.1.0/json: Not Found ("No such image: ghcr.io/hassio-addons/adguard/amd64:5.1.0")',
     ("404 Client Error", "/v1.46/images/ghcr.io/hassio-addons/adguard/amd64:5.1.0/json",
      "No such image: ghcr.io/hassio-addons/adguard/amd64:5.1.0"), "docker-py, a built-in app"),
    ("Downloading docker image ghcr.io/home-assistant/amd64-hassio-supervisor with tag 2026.1.0.",
     ("ghcr.io/home-assistant/amd64-hassio-supervisor", "2026.1.0"), "Supervisor"),
    ("[404] No such image: homeassistant/home-assistant:2026.1.0",
     ("No such image: homeassistant/home-assistant:2026.1.0",), "aiodocker"),
    ("[Errno 2] No such file or directory: '/config/www/images/icons/lamp.png'",
     ("/config/www/images/icons/lamp.png",), "CPython OSError, a folder named images"),
    ("mkdir /mnt/data/supervisor/share/[path-user] /tmp/x: no such file or directory",
     ("mkdir /mnt/data/supervisor/share/[path-user] /tmp/x: no such file or directory",), "Go"),
    ('400 Client Error for http+docker://localhost/v1.46/containers/create?name=addon_local_x:'
     ' Bad Request ("invalid mount config for type "bind": bind source path does not exist: '
     '/data/addons/data/x")',
     ("create?name=addon_local_x: Bad Request",), "docker-py, an app's container"),
    ("404 Client Error for http+docker://localhost/v1.46/containers/addon_core_ssh/archive?"
     "path=%2Fdata%2Foptions.json: Not Found",
     ("addon_core_ssh/archive?path=%2Fdata%2Foptions.json: Not Found",), "docker-py"),
    ("ReadError(b'\\x1f\\x8b\\x08 not a gzip file')",
     ("ReadError(b'\\x1f\\x8b\\x08 not a gzip file')",), "bytes that are no digest"),
    ('401 Client Error for http+docker://localhost/v1.46/auth: Unauthorized ("Get "https://'
     'registry-1.docker.io/v2/": unauthorized: incorrect username or password")',
     ("401 Client Error for http+docker://localhost/v1.46/auth: Unauthorized",
      "incorrect username or password"), "docker-py, a registry login (DockerClient.login)"),
    ("[Errno 2] No such file or directory: '/data/ssl/fullchain.pem'",
     ("[Errno 2] No such file or directory: '/data/ssl/fullchain.pem'",), "CPython"),
]


@pytest.mark.parametrize(("text", "secrets", "library", "where"), CASES)
def test_an_exception_text_keeps_none_of_its_values(text: str, secrets: tuple[str, ...],
                                                   library: str, where: str) -> None:
    out = scrub_text(text)
    assert [s for s in secrets if s.lower() in out.lower()] == [], (library, where, out)
    assert scrub_text(out) == out  # fixed point


@pytest.mark.parametrize(("text", "secrets", "library", "where"), CASES)
def test_an_exception_text_as_an_event_value_keeps_none_of_its_values(
        text: str, secrets: tuple[str, ...], library: str, where: str) -> None:
    event = {"exception": {"values": [{"type": "RuntimeError", "module": library,
                                       "value": text}]},
             "logentry": {"message": f"{where}: see below"}}
    out = scrub_event(event)
    assert out is not None
    exc = out["exception"]["values"][0]
    assert exc["type"] == "RuntimeError"
    assert [s for s in secrets if s.lower() in exc["value"].lower()] == [], (where, exc)


@pytest.mark.parametrize(("text", "words", "library"), KEPT)
def test_an_exception_text_that_names_no_one_keeps_what_triage_needs(
        text: str, words: tuple[str, ...], library: str) -> None:
    out = scrub_text(text)
    assert [w for w in words if w not in out] == [], (library, out)


# The literals of the shapes added for these texts, their separators and values, for the attack
# of tests/test_scrub_linear.py: time per KB must not grow with the length.
EXCEPTION_ATOMS = ["unable to access '", "authentication failed for '", "['git', '",
                   "https://a/b/c", "/", "a", "'", " ", "\n", "no such image: ", "a.b", ":5000",
                   "%2F", "%3A", "fromImage=", "/v1.46/images/", "/images/", "manifest for ",
                   "docker image ", ":1.2", "/json", "/share/", "/home/", "a b", ": ",
                   ": file exists", "mkdir ", "does not exist: ", '"', ")", " /", "`",
                   "Error mounting ", " at ", "/run/media/root/", "?name=", "&account=",
                   "?path=", "%2Fhome%2F", "%2F", "&", "addon_", "+", "(b'", ", b'",
                   "expected=b'", "\\x0a", "\\'", "\\",
                   'candidate authority certificate "', 'a\\"b', "/by-id/usb-a_12345-0:0",
                   "-0:0", "-0", 'password: "', "token: '", "a b"]


def test_the_rules_for_exception_texts_stay_linear() -> None:
    screened = sorted(((_per_kb(_grow(unit, 5_000), 1) / _per_kb(_grow(unit, 1_000), 2), unit)
                       for _, unit in _texts(EXCEPTION_ATOMS)), reverse=True)
    worst = [(unit[:40], _growth(unit)[0]) for _, unit in screened[:3]]
    assert [(u, g) for u, g in worst if g > GROWTH_LIMIT] == []
