"""The pages benchmark (bench/pages.py) measures real pages on a seeded platform.

`make bench-pages` (10,000 cases, 200 requests a page, on both databases) takes minutes; here
a small platform and a few requests on SQLite check that every page of the list answers with
what the seeding promised, and that the figures are what the JSON says they are.
"""

from __future__ import annotations

from pathlib import Path

from bench.pages import PAGES, figures, main, parse_args


def test_figures_are_milliseconds_of_the_durations() -> None:
    durations = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    result = figures(durations, [0.002] * 100)
    assert (result.p50_ms, result.max_ms, result.requests) == (50.5, 100.0, 100)
    assert 95.0 <= result.p95_ms <= 96.0
    assert result.cpu_p50_ms == 2.0


async def test_every_page_answers_on_a_seeded_platform(tmp_path: Path) -> None:
    args = parse_args(["--cases", "400", "--requests", "3", "--warmup", "1"])
    args.backends, args.out = ["sqlite"], tmp_path / "pages.json"
    data = await main(args)
    sqlite = data["backends"]["sqlite"]
    assert set(sqlite["pages"]) == {page.name for page in PAGES}
    assert data["cases"] == 400 and data["p95_ms_postgresql"] is None
    assert data["p95_ms_sqlite"] == max(p["p95_ms"] for p in sqlite["pages"].values())
    assert sqlite["referent_cases"] > 0
    shown = sqlite["pages"]["mes_dossiers"]["shown"]
    assert shown.endswith("dossiers") and int(shown.split()[0]) > sqlite["referent_cases"], (
        "the référent sees their cases and the others of their structure"
    )
    assert sqlite["pages"]["plateforme_dossiers"]["shown"] == "400 dossiers"
