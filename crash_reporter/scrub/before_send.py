"""sentry-sdk glue: a ``before_send`` that scrubs every event again and fails closed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from crash_reporter.scrub.event import ScrubStats, scrub_event
from crash_reporter.scrub.hosts import Identifier

Event = dict[str, Any]
Hint = dict[str, Any]


def make_before_send(
    identifiers_provider: Callable[[], Iterable[Identifier] | None],
    on_drop: Callable[[], None] | None = None,
    stats: ScrubStats | None = None,
) -> Callable[[Event, Hint], Event | None]:
    """A sentry-sdk ``before_send`` that scrubs every event and fails closed.

    `identifiers_provider` is called for each event (the app's current host identifiers);
    `on_drop` is called once for each event the scrubber had to drop. If the provider itself
    fails, the event is dropped too.
    """

    def before_send(event: Event, hint: Hint) -> Event | None:
        """Scrub `event`; None (drop) if that fails."""
        del hint  # the hint may hold the original exception object: never look at it
        try:
            identifiers = identifiers_provider()
        except Exception:
            identifiers = None
            result = None
            if stats is not None:
                stats.dropped += 1
                stats.last_error = "identifiers_provider"
        else:
            result = scrub_event(event, identifiers, stats=stats)
        if result is None and on_drop is not None:
            with contextlib.suppress(Exception):  # a counter must not break sending
                on_drop()
        return result

    return before_send
