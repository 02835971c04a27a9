r"""The owner in the URLs of the app repositories a user adds to the Supervisor's store.

A custom app repository is a Git URL whose first path segment is an account: the user's own
on GitHub or GitLab ("https://github.com/jeansmith/ha-apps"), or a person on a self-hosted
forge ("https://git.smith-family.de/jean/apps.git"). The Supervisor logs it on every store
reload (supervisor/store/git.py "Update app %s repository from %s", "Cloning app %s
repository from %s", "Can't clone %s repository: %s.", "Wasn't able to update %s repo: %s.",
"Removing custom app repository %s"; store/__init__.py "Can't add repository %s due to %s",
"%s is not a valid app repository") and lists them in its store's JSON ("repositories": [...]);
GitPython's errors in those lines give git's command line on a line of its own ("Cmd('git')
failed due to: exit code(128)\n  cmdline: git clone -v ... -- https://github.com/jean/x ..."),
git's stderr after it ("fatal: unable to access 'https://git.x/jean/apps/': ...", "fatal:
Authentication failed for '...'"), and its repr the command as a list ("GitCommandError(['git',
'clone', ..., 'https://...'], 128, b\"...\")").

Where a line names a repository (`GATES`, found in the keyword pass), the owner of every URL
in that line whose path is a repository's root (owner/name, ".git", "#branch") becomes [user];
the repository's name stays, for triage. The owners of the Supervisor's built-in repositories
(store/const.py: home-assistant, hassio-addons, esphome, music-assistant) on GitHub stay.
Each line is read once, at most `_REACH` characters either side of its first gate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import PUBLISHERS
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally, line_end, line_start

GATES: Final = ("repositor", " repo: ", "cmdline: git ",
                 # git's own stderr in GitCommandError, and GitPython's repr of its command line
                 "unable to access '", "authentication failed for '", "['git', '")

_REACH: Final = 512
# A repository's root URL: scheme, optional userinfo, host, owner, name (and ".git", "/",
# "#branch"), ending where the URL does; or scp-like "git@host:owner/name".
_REPO_URL_RE: Final = re.compile(
    r"(?:(?:https?|git|ssh)://(?:[^\s/@'\"\x00]{1,256}+@)?+|git@)"
    r"([A-Za-z0-9[][\w.\-\]]{0,252}+)(?::\d{1,5}+)?+[/:]"
    r"([A-Za-z0-9][\w.-]{0,99}+)/[\w.-]{1,100}+/?+(?:#[\w./-]{1,100}+)?+"
    r"(?=[\s'\",;)\]}>]|\Z)")


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Owners of repository URLs on lines that name a repository.

    `gates`: where each of `GATES` starts in the lowercased text (the keyword pass).
    """
    out: list[Edit] = []
    done = 0
    for at in sorted(i for gate in GATES for i in gates.get(gate, ())):
        if at < done:
            continue
        start, end = line_start(text, at, _REACH), line_end(text, at, _REACH)
        start = max(start, done)
        done = end
        if text.find("/", start, end) < 0:
            continue
        for m in _REPO_URL_RE.finditer(text, start, end):
            owner = m.group(2)
            if owner in PLACEHOLDER_VALUES or (
                    owner.lower() in PUBLISHERS and m.group(1).lower() == "github.com"):
                continue
            out.append((m.start(2), m.end(2), tally.hit("user")))
    return out
