"""crash_reporter: consent-gated crash reports from a Home Assistant host to Sentry.

The pipeline, one stage per module or folder, data flowing left to right:
sources/ (outside world -> records) -> detect/ (records -> Crash) -> report.py (Crash ->
Sentry event) -> scrub/ (event -> scrubbed event) -> outbox.py (disk) -> send.py (Sentry).
"""

__version__ = "0.1.0"
