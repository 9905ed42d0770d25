"""Writing a locality analysis to disk (``locality.json``, figures, ``report.md``) and comparing several.

``--compare`` syntax: a comma-separated list of ``BENCH[:DATASET[:METRIC]]`` items, e.g.
``nasbench-graph:cora,nasbench-graph:citeseer,analognas`` or ``analognas:cifar10:analog_accuracy``; an empty part
means the benchmark's default.

>>> [(i.benchmark, i.dataset, i.metric) for i in parse_compare("nasbench-graph:cora,analognas::analog_accuracy")]
[('nasbench-graph', 'cora', None), ('analognas', None, 'analog_accuracy')]
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._io import write_json_atomic, write_text_atomic
from ..errors import InvalidConfig
from ._analysis import analyze_locality
from .result import LocalityResult


@dataclass(frozen=True)
class CompareItem:
    benchmark: str
    dataset: str | None = None
    metric: str | None = None


def parse_compare(spec: str | Sequence[str]) -> list[CompareItem]:
    """Parse ``BENCH[:DATASET[:METRIC]],...`` (a string, or a list of such strings) into ``CompareItem``s.

    >>> parse_compare(["analognas::analog_accuracy", "nasbench-graph:cora"])[0]
    CompareItem(benchmark='analognas', dataset=None, metric='analog_accuracy')
    """
    parts = [spec] if isinstance(spec, str) else list(spec)
    items = []
    for chunk in parts:
        for raw in str(chunk).split(","):
            raw = raw.strip()
            if not raw:
                raise InvalidConfig(f"empty item in --compare {chunk!r}; expected BENCH[:DATASET[:METRIC]],...")
            fields = raw.split(":")
            if len(fields) > 3 or not fields[0]:
                raise InvalidConfig(f"bad --compare item {raw!r}; expected BENCH[:DATASET[:METRIC]]")
            fields += [""] * (3 - len(fields))
            items.append(CompareItem(fields[0], fields[1] or None, fields[2] or None))
    if not items:
        raise InvalidConfig("--compare needs at least one BENCH[:DATASET[:METRIC]] item")
    return items


def compare_locality(
    items: Sequence[CompareItem | str], *, space: str | None = None, arch_column: str | None = None, **kwargs
) -> list[LocalityResult]:
    """``analyze_locality`` for every item (each benchmark loaded once); keyword arguments go to every run.

    >>> rs = compare_locality(["analognas::baseline_accuracy", "analognas::analog_accuracy"], max_distance=2,
    ...                       permutations=19, bootstrap=20, walks=10)
    >>> [r.metric for r in rs]
    ['baseline_accuracy', 'analog_accuracy']
    """
    from ..benchmarks import load_benchmark

    items = [parse_compare(i)[0] if isinstance(i, str) else i for i in items]
    loaded: dict[str, object] = {}
    out, seen = [], set()
    for it in items:
        if it.benchmark not in loaded:
            loaded[it.benchmark] = load_benchmark(it.benchmark, space=space, arch_column=arch_column)
        key = (it.benchmark, *loaded[it.benchmark].resolve(it.dataset, it.metric))
        if key in seen:  # e.g. BENCH given both positionally and in --compare: analyse it once
            continue
        seen.add(key)
        out.append(analyze_locality(loaded[it.benchmark], it.dataset, it.metric, **kwargs))
    return out


def slug(res: LocalityResult) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{res.benchmark}-{res.dataset}-{res.metric}")


# ---------------------------------------------------------------------------------------------- writing


def write_locality_report(res: LocalityResult, out_dir: str | Path, *, figures: bool = True,
                          options=None) -> dict[str, Path]:
    """Write ``locality.json``, the figures (in the ``FigureOptions``' formats, PNG by default; none with
    ``figures=False``) and ``report.md`` into ``out_dir`` (atomic writes); returns the paths written.

    >>> import tempfile
    >>> from lissnas_bench.locality import analyze_locality
    >>> res = analyze_locality("analognas", max_distance=2, permutations=19, bootstrap=20, walks=10)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sorted(write_locality_report(res, tmp, figures=False))
    ['json', 'report']
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    write_json_atomic(out_dir / "locality.json", res.to_dict())
    paths["json"] = out_dir / "locality.json"
    figs = {}
    if figures:
        from ..plots.locality import make_figures

        figs = make_figures(res, out_dir, options)
        for name, ps in figs.items():
            paths[name] = ps[0]
    shown = {name: _shown(ps).name for name, ps in figs.items()}
    write_text_atomic(out_dir / "report.md", render_report(res, figures=shown))
    paths["report"] = out_dir / "report.md"
    return paths


def _shown(paths) -> Path:
    """The file a markdown report shows: PNG, else SVG, else the first (a PDF does not render in markdown)."""
    paths = [Path(p) for p in paths]
    return next((p for ext in (".png", ".svg") for p in paths if p.suffix == ext), paths[0])


def write_compare_report(results: Sequence[LocalityResult], out_dir: str | Path, *, figures: bool = True,
                         options=None) -> dict:
    """Every analysis in its own sub-folder plus ``compare.json``, ``compare.png/svg`` and ``report.md``.

    >>> import tempfile
    >>> rs = compare_locality(["analognas"], max_distance=2, permutations=19, bootstrap=20, walks=10)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sorted(write_compare_report(rs, tmp, figures=False))
    ['items', 'json', 'report']
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    subs = {}
    for r in results:
        subs[r.label] = write_locality_report(r, out_dir / slug(r), figures=figures, options=options)
    write_json_atomic(out_dir / "compare.json", {"compare": [r.to_dict() for r in results]})
    paths = {"json": out_dir / "compare.json", "items": subs}
    if figures:
        from ..plots.locality import plot_compare
        from ..plots.style import save_figure, use_figure_options

        with use_figure_options(options):  # the font size applies while drawing, not only when saving
            saved = save_figure(plot_compare(results), out_dir / "compare")
        paths["figure"] = saved[0]
    lines = [
        "# Locality comparison",
        "",
        f"![comparison]({_shown(saved).name})" if figures else "",
        "",
        _summary_table(results),
        "",
        "Each analysis has its own folder with `locality.json`, figures and `report.md`:",
        "",
    ]
    lines += [f"- [{r.label}]({slug(r)}/report.md)" for r in results]
    write_text_atomic(out_dir / "report.md", "\n".join(lines) + "\n")
    paths["report"] = out_dir / "report.md"
    return paths


# ---------------------------------------------------------------------------------------------- markdown


def _g(x, nd=3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"
    return str(x)


def _count(x) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _ci(c) -> str:
    if not c or c[0] is None or not all(isinstance(v, float) and math.isfinite(v) for v in c):
        return ""
    return f" [{_g(c[0])}, {_g(c[1])}]"


def _summary_table(results: Sequence[LocalityResult]) -> str:
    head = (
        "| analysis | mode | mean \\|Δf\\| at d=1 / random | corr d=1 | RWA ρ(1) | corr. length | FDC | local optima "
        "(chance) | p |"
    )
    rows = [head, "|" + "---|" * 9]
    for r in results:
        ratio = r.mean_abs_diff_by_distance[0] / r.random_pair_mean_abs_diff
        rows.append(
            f"| {r.label} | {r.mode} | {_g(ratio)} | {_g(r.correlation_by_distance[0])} | {_g(r.rwa_by_lag[0])} "
            f"| {_g(r.correlation_length)} | {_g(r.fdc)} | {_g(float(r.local_optima), 4)} "
            f"({_g(r.local_optima_chance, 4)}) | {_g(r.p_value)} |"
        )
    return "\n".join(rows)


def render_report(res: LocalityResult, figures: Mapping[str, str] | Sequence[str] = ()) -> str:
    """``report.md`` of one analysis: the numbers, how to read them, the definitions in one line each.

    >>> from lissnas_bench.locality import analyze_locality
    >>> md = render_report(analyze_locality("analognas", max_distance=2, permutations=19, bootstrap=20, walks=10))
    >>> md.splitlines()[0], "## Random-walk autocorrelation" in md
    ('# Locality of analognas · cifar10 · baseline_accuracy', True)
    """
    L = [f"# Locality of {res.benchmark} · {res.dataset} · {res.metric}", "", _header(res), ""]
    L += ["## In short", ""] + _in_short(res)
    L += _curve_table(res) + _rwa_table(res) + _enrichment_table(res) + _permutation_section(res)
    L += _optima_section(res)
    if res.notes:
        L += ["", "## Notes", ""] + [f"- {n}" for n in res.notes]
    if figures:
        files = figures if isinstance(figures, Mapping) else {f: f"{f}.png" for f in figures}
        L += ["", "## Figures", ""] + [f"![{f}]({p})" for f, p in files.items()]
    L += ["", "Definitions: see `docs/locality.md` in lissnas-bench.", ""]
    return "\n".join(L)


def _header(res: LocalityResult) -> str:
    return (
        f"Space `{res.space}`, {res.architectures:,} architectures with a value (space size {res.space_size:,}); "
        f"metric is {'maximised' if res.direction == 'max' else 'minimised'}; distance: "
        f"{'graph edit distance' if res.distance == 'ged' else 'Hamming on the canonical encoding'}; mode: "
        f"**{res.mode}**; seed {res.settings.seed}."
    )


def _in_short(res: LocalityResult) -> list[str]:
    K = len(res.distances)
    ratio = (
        res.mean_abs_diff_by_distance[0] / res.random_pair_mean_abs_diff if res.random_pair_mean_abs_diff else math.nan
    )
    L = [
        f"- Architectures at distance 1 differ by {_g(res.mean_abs_diff_by_distance[0])} on average, "
        f"{ratio:.0%} of the {_g(res.random_pair_mean_abs_diff)} between random pairs "
        f"(permutation test p = {_g(res.p_value)}).",
        f"- f correlates {_g(res.correlation_by_distance[0])} between architectures at distance 1 and "
        f"{_g(res.correlation_by_distance[-1])} at distance {K}.",
        f"- Random-walk autocorrelation ρ(1) = {_g(res.rwa_by_lag[0])}: correlation length "
        f"{_g(res.correlation_length)} steps.",
        f"- Fitness-distance correlation {_g(res.fdc)}{_ci(res.fdc_ci)} "
        f"({'negative' if res.direction == 'max' else 'positive'} = better architectures sit closer to the optimum).",
    ]
    top = next((e for e in res.enrichment if e["q"] >= 0.01), res.enrichment[0] if res.enrichment else None)
    if top:
        L.append(
            f"- A top-{top['q']:.1%} architecture has a neighbour in the top {top['q']:.1%} with probability "
            f"{_g(top['p_neighbour_in_top'])}, {_g(top['ratio'])}× chance."
        )
    est = res.local_optima_detail.get("estimated")
    basin = "" if est else (
        f"; the global optimum's basin holds {res.local_optima_detail['global_basin_fraction']:.1%} of the "
        "architectures"
    )
    L.append(
        f"- {'About ' if est else ''}{_g(float(res.local_optima), 6)} local optima against "
        f"{_g(res.local_optima_chance, 6)} expected for randomly permuted values{basin}."
    )
    return L


def _curve_table(res: LocalityResult) -> list[str]:
    pct = res.settings.confidence * 100
    L = [
        "",
        "## |Δf| and correlation by distance",
        "",
        f"| d | pairs | mean \\|Δf\\| ({pct:g} % CI) | mean Δf² | median \\|Δf\\| | corr ({pct:g} % CI) |",
        "|---|---|---|---|---|---|",
    ]
    for k in range(len(res.distances)):
        q = res.abs_diff_quantiles_by_distance[k] or {}
        L.append(
            f"| {res.distances[k]} | {_count(res.pairs_by_distance[k])} | {_g(res.mean_abs_diff_by_distance[k])}"
            f"{_ci(res.mean_abs_diff_ci[k])} | {_g(res.mean_sq_diff_by_distance[k])} | {_g(q.get('q50'))} | "
            f"{_g(res.correlation_by_distance[k])}{_ci(res.correlation_ci[k])} |"
        )
    q = res.random_pair_abs_diff_quantiles or {}
    n_rand = "all" if res.mode == "exact" and res.distance == "hamming" else "sampled"
    L.append(
        f"| random | {n_rand} | "
        f"{_g(res.random_pair_mean_abs_diff)}{_ci(res.random_pair_mean_abs_diff_ci)} | "
        f"{_g(res.random_pair_mean_sq_diff)} | {_g(q.get('q50'))} | 0 |"
    )
    return L


def _rwa_table(res: LocalityResult) -> list[str]:
    L = ["", "## Random-walk autocorrelation", "", f"{res.rwa_method}.", "", "| lag | ρ | ρ (walks, CI) |",
         "|---|---|---|"]
    for h in range(len(res.rwa_by_lag)):
        L.append(f"| {h + 1} | {_g(res.rwa_by_lag[h])} | {_g(res.rwa_by_lag_walks[h])}{_ci(res.rwa_walks_ci[h])} |")
    return L


def _enrichment_table(res: LocalityResult) -> list[str]:
    L = ["", "## Neighbour enrichment", "", "| q | top set | P(neighbour in top) | chance | ratio |",
         "|---|---|---|---|---|"]
    for e in res.enrichment:
        L.append(
            f"| {e['q']:g} | {e['top_size']} | {_g(e['p_neighbour_in_top'])} | {_g(e['chance'])} | {_g(e['ratio'])} |"
        )
    return L


def _permutation_section(res: LocalityResult) -> list[str]:
    pt = res.permutation_test
    return [
        "",
        "## Permutation test",
        "",
        f"Statistic: {pt.get('statistic', '–')}; null: {pt.get('null', '–')}; "
        f"alternative: {pt.get('alternative', '–')}. "
        f"Observed {_g(pt.get('observed'))} against a null mean {_g(pt.get('null_mean'))} (sd {_g(pt.get('null_sd'))}) "
        f"over {pt.get('permutations', 0)} permutations and {pt.get('pairs_used', 0):,} pairs: p = {_g(res.p_value)}.",
    ]


def _optima_section(res: LocalityResult) -> list[str]:
    L = [
        "",
        "## Local optima and FDC",
        "",
        f"Local optima: {res.local_optima_detail.get('method', '')}.",
        f"FDC: {res.fdc_method}. Global optimum `{res.global_optimum['arch']}` = {_g(res.global_optimum['value'], 6)}"
        f" ({res.global_optimum['ties']} tied).",
    ]
    if res.ged:
        g = res.ged
        L.append(
            f"Graph edit distances: {g['computed']} computed, {g['cache_hits']} from the cache, {g['timeouts']} "
            f"timed out ({g['timeout_s']:g} s limit)."
        )
    return L
