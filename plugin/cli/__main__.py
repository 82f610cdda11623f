"""`python -m modelmath.plugin.cli`: the same entry point as the `modelmath` script."""

from .main import main

main()
