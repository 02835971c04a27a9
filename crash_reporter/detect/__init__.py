"""Stage 2: records turned into Crash incidents (pure, synchronous, never raises)."""
