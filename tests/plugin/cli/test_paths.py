"""A NUL byte in a file name is refused as bad input (exit 2, one line), not an internal error. A real argv cannot
carry one, but in-process callers and the fuzz harness's forked runs can (benchmarks/fuzz_cli.py --seed 31 found
`tokens --file '\\u202e\\x00x'` exiting 1 with "embedded null byte")."""

from __future__ import annotations

import pytest
from modelmath.plugin.cli.main import main


@pytest.mark.parametrize(("args", "option"), [(["tokens", "--file", "\u202e\x00x"], "--file"),
                                              (["params", "--config", "a\x00b"], "--config"),
                                              (["cost", "haiku-4.5", "--input-tokens", "1", "--prices", "p\x00"],
                                               "--prices")])
def test_a_nul_byte_in_a_file_name_is_bad_input(args, option, capsys):
    with pytest.raises(SystemExit) as done:
        main(args)
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1
    assert f"Invalid value for '{option}': a file name cannot contain a NUL byte" in err
