"""Numbers that prose states by hand agree with the catalog.

The docs render their numbers from the catalog through macros (checked here on the built site);
a merchant-facing program cannot, so its docstrings are checked against the catalog.
"""

from __future__ import annotations

import re
from pathlib import Path

from flowlix_mock import catalog

ROOT = Path(__file__).resolve().parent.parent


def test_the_client_side_limiter_states_the_test_mode_rate_limit():
    text = (ROOT / "snippets" / "rate_limits" / "client_side_limiter.py").read_text("utf-8")
    stated = re.findall(r"\((\d+) in test mode\)", text)
    assert stated == [str(catalog.LIMITS.rate_limit_test_per_second)]
    # The limiter it recommends stays below that limit.
    ceiling = re.search(r"at most (\d+) requests in any second", text)
    assert ceiling and int(ceiling.group(1)) < catalog.LIMITS.rate_limit_test_per_second


def test_the_mock_page_states_the_catalogs_limits(built_site: Path):
    text = re.sub(r"<[^>]+>", "", (built_site / "mock" / "index.html").read_text("utf-8"))
    text = " ".join(text.split())
    limits = catalog.LIMITS
    assert f"delay=MS (at most {limits.simulation_delay_max_ms})" in text
    assert f"(N from 1 to {limits.simulation_count_max})" in text
    assert f"at least {catalog.KEY_MIN_RANDOM_LENGTH} letters and digits" in text
