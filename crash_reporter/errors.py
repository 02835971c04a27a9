"""Our exception tree: every library error is mapped to one of these at the edge."""

from __future__ import annotations


class CrashReporterError(Exception):
    """Base of every error this app raises on purpose."""


class ConfigError(CrashReporterError):
    """The configuration (options.json, environment) cannot be used."""


class SourceError(CrashReporterError):
    """An outside source (D-Bus, Supervisor API, logs) failed; the caller retries."""


class BusGone(SourceError):
    """The D-Bus connection is closed; a new one must be built."""


class ServiceAbsent(SourceError):
    """A D-Bus service (e.g. OS-Agent) is not on the bus."""


class SupervisorApiError(SourceError):
    """The Supervisor API did not give a usable answer."""


class InputError(CrashReporterError):
    """Input given on the command line cannot be read."""


class StorageError(CrashReporterError):
    """The data dir refused a write (full, EIO, EACCES, read-only); the caller retries later."""
