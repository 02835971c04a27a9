"""pytest fixtures for the real bugsink (see sandbox/)."""
