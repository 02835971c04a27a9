"""Stage 4: the privacy scrubber (event -> scrubbed event), also sentry-sdk's before_send.

Nothing that identifies a home may leave the host, and Sentry's server-side scrubbing does not
look at exception values, frame paths or debug_meta, so everything happens here:

- ``event``: `scrub_event` / `scrub_text`: walk, rules, caps; fail closed;
- ``walk``: the allowlist walk over the event's structure, caps on sizes;
- ``rules/``: the pattern rules, one module per family of values (its docstring lists them),
  run once each, in a fixed order, over an event's strings joined into one text;
- ``hosts``: this host's own identifiers, learned on the device, in all their written forms;
- ``words``: keywords and identifier forms, every occurrence found in one pass (Aho-Corasick,
  or Hyperscan in the worker);
- ``classes``: where a digit or hex rule can start, found over the text's character classes;
- ``allowlist``: what identifies no one and stays (public hosts, internal names, networks,
  publishers' accounts);
- ``tokens``: the typed placeholders and the tally of replacements;
- ``before_send``: the sentry-sdk glue;
- ``worker``: scrubbing off the event loop, in a child process with a time budget per event.

Kept on purpose (identify no one, needed for triage): ``event_id``, ``debug_meta`` ids, hex
shorter than 32 characters (Go pcs, offsets, addresses, Docker's short ids), loopback and the
Supervisor's internal Docker network, ``/root``, versions, code paths, exception types, public
hosts.
"""

from crash_reporter.scrub.before_send import make_before_send
from crash_reporter.scrub.event import ScrubStats, scrub_event, scrub_text
from crash_reporter.scrub.tokens import PLACEHOLDERS

__all__ = ["PLACEHOLDERS", "ScrubStats", "make_before_send", "scrub_event", "scrub_text"]
