"""Number parsing as people write it."""

import pytest
from modelmath.tools.errors import InvalidInput
from modelmath.tools.units import parse_count, sizes


@pytest.mark.parametrize("text,value", [
    ("128k", 128_000), ("1M", 1_000_000), ("8_192", 8192), ("1.5e9", 1_500_000_000), ("32Ki", 32768),
    ("70B", 70_000_000_000), (" 4096 ", 4096), (4096, 4096), (2.0, 2), ("0.5k", 500),
])
def test_parse_count(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1.5", "12q", "1e-3", "--5", float("nan"), 2.5, True])
def test_parse_count_rejects(text):
    with pytest.raises(InvalidInput):
        parse_count(text)


def test_sizes_gb_and_gib():
    # 80 GB as sold = 80e9 bytes = 74.506 GiB.
    assert sizes(80 * 10**9) == {"bytes": 80_000_000_000, "gb": 80.0, "gib": 74.506}
