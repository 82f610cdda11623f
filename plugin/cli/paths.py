"""The one click type for file and folder options: click.Path, refusing a NUL byte in the name before anything
touches the disk (os.stat raises ValueError on one, which would otherwise surface as an internal error)."""

from __future__ import annotations

import click


class FilePath(click.Path):
    def convert(self, value, param, ctx):
        if isinstance(value, str) and "\x00" in value:
            self.fail("a file name cannot contain a NUL byte", param, ctx)
        return super().convert(value, param, ctx)
