"""The `modelmath` command line: derived calculator commands and the hand-written ones."""
