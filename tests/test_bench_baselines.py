"""`make bench` compares against baselines generated from mkdocs.yml: they must still build.

(A change to mkdocs.yml once broke them without any other test noticing.)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import measure_site  # noqa: E402  (bench/ is a folder of scripts, not a package)


def test_the_site_build_baseline_builds():
    _, result = measure_site._build(["-f", str(measure_site._bare_config())])
    assert result.returncode == 0, measure_site._problems(result)
    assert (measure_site.SITE_BARE / "go-live" / "index.html").is_file()


def test_the_page_baseline_has_the_same_text():
    site = measure_site.page_baseline()
    page = (site / "decline-codes" / "index.html").read_text(encoding="utf-8")
    # The decline-code table is written by a macro: the baseline carries its rendered text.
    assert "insufficient_funds" in page
    assert "{{" not in page
