"""Command line: `crash-reporter run | scan | status`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from crash_reporter import __version__
from crash_reporter.const import (
    DEFAULT_DATA_DIR,
    DEFAULT_SUPERVISOR_URL,
    ENV_DATA_DIR,
    ENV_DBUS_ADDRESS,
    ENV_DEFAULT_DSN,
    ENV_DSN,
    ENV_PANEL_PEER,
    ENV_PANEL_PORT,
    ENV_SUPERVISOR_TOKEN,
    ENV_SUPERVISOR_URL,
    OPTIONS_FILE,
)
from crash_reporter.errors import ConfigError
from crash_reporter.sources.log_format import FORMATS

if TYPE_CHECKING:
    from crash_reporter.app import App

_LOGGER = logging.getLogger("crash_reporter")

SHUTDOWN_GRACE_S = 4.0
EX_CONFIG = 78  # sysexits.h: the configuration is unusable (s6 and users can tell it apart)


_RUN_EPILOG = f"""\
options file:
  ${ENV_DATA_DIR}/{OPTIONS_FILE} (the Supervisor writes /data/options.json): dsn, log_level,
  report_host_crashes, watch_units, review_reports; a missing file or key means the default

environment:
  {ENV_SUPERVISOR_URL}     the Supervisor API (default {DEFAULT_SUPERVISOR_URL})
  {ENV_SUPERVISOR_TOKEN}   its token (missing: consent UNKNOWN, nothing is sent)
  {ENV_DATA_DIR}  options, state and outbox (default {DEFAULT_DATA_DIR})
  {ENV_DBUS_ADDRESS}  a D-Bus address (default: the system bus)
  {ENV_DSN}  the Sentry DSN (overrides the dsn option)
  {ENV_DEFAULT_DSN}  the image's built-in DSN (the dsn option overrides it)
  {ENV_PANEL_PEER}, {ENV_PANEL_PORT}  tests only: the ingress proxy's address, the
                               panel's port

exit status: 0 stopped by a signal, 1 an unexpected error, {EX_CONFIG} a configuration error
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the chosen command; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    command: int = args.func(args)
    return command


def _parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="crash-reporter",
        description="Consent-gated crash reports from a Home Assistant host to Sentry.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser(
        "run", help="run the daemon (configuration: options.json + env)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the daemon until SIGTERM/SIGINT.",
        epilog=_RUN_EPILOG,
    )
    run.set_defaults(func=_cmd_run)

    scan = sub.add_parser("scan", help="find crashes in a saved log and print their reports")
    scan.add_argument("path", help="a log file as the logs API or journalctl gives it, or -")
    scan.add_argument("--json", action="store_true", help="one scrubbed event per line")
    scan.add_argument("--scope", choices=("all", "default"), default="all",
                      help="all crashes found (default), or only what the daemon would send")
    scan.add_argument("--component", help="component of plain-text input (supervisor, os-agent)")
    scan.add_argument("--dsn", help="also send the printed events to this Sentry DSN")
    scan.add_argument(
        "--format", default="auto", choices=("auto", *FORMATS),
        help="the input's form (default auto: json and export are told apart from text, and "
             "each text line's form is recognised on its own; 'text' is the same for text "
             "input; plain/cat take every line as a message)")
    scan.set_defaults(func=_cmd_scan)

    status = sub.add_parser("status", help="consent, outbox, counters and the last reports")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--data-dir", help=f"default: ${ENV_DATA_DIR} or {DEFAULT_DATA_DIR}")
    status.set_defaults(func=_cmd_status)
    return parser


def _setup_logging(level: str) -> None:
    """HA-style log lines on stderr; third-party libraries stay at WARNING."""
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s (%(threadName)s) [%(name)s] %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("crash_reporter").setLevel(level.upper())


def _cmd_run(args: argparse.Namespace) -> int:
    """Run the daemon until SIGTERM/SIGINT."""
    from crash_reporter.app import App  # noqa: PLC0415 - keep `scan`/`status` light
    from crash_reporter.config import load_config  # noqa: PLC0415

    try:
        config = load_config()
    except ConfigError as err:
        _setup_logging("info")
        _LOGGER.error("Configuration error: %s", err)  # (messages never hold a secret)
        return EX_CONFIG
    _setup_logging(config.log_level)
    return asyncio.run(_run_until_signalled(App(config)))


async def _run_until_signalled(app: App) -> int:
    """Run `app.run()`; SIGTERM/SIGINT cancel it, and it must end within the grace time."""
    loop = asyncio.get_running_loop()
    main_task = asyncio.ensure_future(app.run())
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({main_task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if main_task in done:
        stopper.cancel()
        exc = main_task.exception()
        if exc is not None:
            _LOGGER.critical("The daemon stopped on an unexpected error", exc_info=exc)
            return 1
        return 0
    _LOGGER.info("Stopping on signal")
    main_task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        async with asyncio.timeout(SHUTDOWN_GRACE_S):
            await main_task
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    """Print what the daemon keeps on disk (works whether it runs or not)."""
    from crash_reporter.status import read_status, render_status  # noqa: PLC0415

    data_dir = Path(args.data_dir or os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR)
    status = read_status(data_dir)
    if args.json:
        print(json.dumps(status, indent=2, sort_keys=True, default=str))
    else:
        print(render_status(status))
    if not status["data_dir_exists"]:
        print(f"crash-reporter status: the data dir {data_dir} does not exist (give it with "
              f"--data-dir or ${ENV_DATA_DIR})", file=sys.stderr)
        return 1
    return 0


def _cmd_scan(args: argparse.Namespace) -> int:
    """Scan a saved log for crashes (see crash_reporter.scan)."""
    from crash_reporter.scan import run_scan  # noqa: PLC0415

    _setup_logging("warning")
    return run_scan(args)


if __name__ == "__main__":
    sys.exit(main())
