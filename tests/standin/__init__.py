"""A scripted stand-in for the Anthropic Messages API and the pytest wiring that records and replays
cassettes from it (see cassettes/README.md)."""
