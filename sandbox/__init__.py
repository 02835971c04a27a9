"""Real parts and stand-ins used by the tests and the demo."""
