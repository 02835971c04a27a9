"""pytest fixtures for the real systemd (see sandbox/)."""
