"""Stage 1: the outside world (D-Bus, Supervisor API, logs) turned into typed records."""
