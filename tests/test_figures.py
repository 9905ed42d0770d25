"""Visual regression of every figure kind, on the small fixed input of ``figure_data``.

Each figure is rendered with a pinned style (DejaVu Sans, no hinting, 80 dpi) and compared with its stored image
in ``tests/baseline_images/`` by ``matplotlib.testing.compare.compare_images`` (RMS tolerance ``TOL``, which
absorbs FreeType differences between machines); it must also have no two texts overlapping and none cut by the
figure edge.  Regenerate the stored images after an intended change with

    LISSNAS_UPDATE_BASELINES=1 python -m pytest tests/test_figures.py

and look at every one of them before committing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from pathlib import Path

import figure_data as fd
import pytest

from lissnas_bench.errors import InvalidConfig
from lissnas_bench.plots import compare as C
from lissnas_bench.plots import locality as L
from lissnas_bench.plots._layout import text_problems
from lissnas_bench.plots.search import plot_search_regret, save_search_figures
from lissnas_bench.plots.sensitivity import plot_sensitivity
from lissnas_bench.plots.spend import plot_quality_vs_spend
from lissnas_bench.plots.style import FigureOptions, figure_options_from_cli, figure_style, save_figure

BASELINES = Path(__file__).parent / "baseline_images"
UPDATE = os.environ.get("LISSNAS_UPDATE_BASELINES") == "1"
TOL = 12.0
PINNED = FigureOptions(dpi=80)
#: what matplotlib's own image tests pin, so that renders do not depend on the hinting FreeType was built with
_RC = {"text.hinting": "none", "text.antialiased": True}

MAN = fd.manifest(2)
RES = fd.results(MAN)
DIST = fd.distributions(MAN)
TR = fd.traces(MAN)
CELLS = fd.cells(MAN)
T0, T1 = MAN["targets"]


def _sub(df, t):
    return df[(df["benchmark"] == t["benchmark_id"]) & (df["dataset"] == t["dataset"])]


def _curves(opts=("rs", "re", "ls")):
    return fd.curves(MAN, opts)


#: name -> a function drawing the figure (inside the pinned style)
FIGURES = {
    "size_tradeoff": lambda: C.plot_size_tradeoff(_sub(RES, T0), full_size=T0["space_size"], full_mean=88.0,
                                                  metric=T0["metric"], title="toy-nb201 / data0"),
    "size_tradeoff_subset": lambda: C.plot_size_tradeoff(  # notebook 01, cell 10: two methods, no full mean
        _sub(RES[RES["method"].isin(["lissnas", "random"])], T0), full_size=T0["space_size"], title="data0"),
    "overview": lambda: C.plot_overview(RES, MAN["targets"], {T0["key"]: (15625, 88.0), T1["key"]: (26206, 0.77)}),
    "distribution": lambda: C.plot_distribution(DIST[DIST["target"] == T0["key"]], metric="accuracy",
                                                title="toy-nb201 / data0"),
    "diversity": lambda: C.plot_diversity(_sub(RES, T0), title="toy-nb201 / data0"),
    "retention": lambda: C.plot_retention(C.retention(CELLS, T0["key"]), position_names=T0["position_names"],
                                          choice_names=T0["choice_names"], title="toy-nb201 / data0"),
    "retention_graph": lambda: C.plot_retention(C.retention(CELLS, T1["key"]), position_names=T1["position_names"],
                                                choice_names=T1["choice_names"], title="toy-graph / graph1"),
    "trace": lambda: C.plot_trace(_sub(TR, T0), metric="accuracy", title="toy-nb201 / data0"),
    "kendall": lambda: C.plot_kendall(_sub(RES, T0), title="toy-nb201 / data0", proxy="noisy_accuracy"),
    "search_regret": lambda: plot_search_regret(_curves(), title="toy-nb201 / data0: 4 seeds", shrink_budget=1000),
    "search_regret_one": lambda: plot_search_regret(_curves(("rs",)), title="toy-nb201 / data0", shrink_budget=1000),
    **{f"locality_{n}": (lambda n=n: L._PLOTS[n](fd.locality_result())) for n in L.FIGURES},
    "locality_compare": lambda: L.plot_compare([fd.locality_result(), fd.locality_result("toy-graph:g:valid")]),
    "quality_vs_spend": lambda: plot_quality_vs_spend(fd.spend_summary(), title="toy-nb201 / data0"),
    "sensitivity": lambda: plot_sensitivity(fd.sensitivity_table(), ["k", "radius"], title="LISSNAS sensitivity"),
}


@contextlib.contextmanager
def pinned(options=PINNED):
    """The project style with ``options`` and the pinned text rendering, for drawing and saving alike."""
    import matplotlib

    with figure_style(options), matplotlib.rc_context(_RC), warnings.catch_warnings():
        warnings.simplefilter("error")  # a layout that does not fit warns: fail on it
        yield


def _draw(name, options=PINNED):
    with pinned(options):
        return FIGURES[name]()


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_matches_baseline_and_has_clean_text(name, tmp_path):
    from matplotlib.testing.compare import compare_images

    with pinned():
        fig = FIGURES[name]()
        actual = save_figure(fig, tmp_path / name, PINNED)[0]
        assert text_problems(fig) == []
    expected = BASELINES / f"{name}.png"
    if UPDATE:
        BASELINES.mkdir(exist_ok=True)
        shutil.copyfile(actual, expected)
        pytest.skip(f"baseline {expected.name} written")
    assert expected.exists(), f"no baseline {expected}; run with LISSNAS_UPDATE_BASELINES=1 to create it"
    result = compare_images(str(expected), str(actual), tol=TOL)
    assert result is None, result


@pytest.mark.parametrize("name", ["overview", "diversity", "retention_graph", "search_regret"])  # the tightest
def test_text_stays_clean_at_200_dpi_and_a_larger_font(name):
    """The default (200 dpi, hinted text is relatively wider) and 8.5 pt text still fit."""
    for opts in (FigureOptions(), FigureOptions(font_size=8.5)):
        assert text_problems(_draw(name, opts)) == [], opts


def test_overview_of_nine_datasets_and_every_optimizer_count():
    man = fd.manifest(9)
    res = fd.results(man)
    with pinned(FigureOptions()):
        figs = [C.plot_overview(res, man["targets"])]
        figs += [plot_search_regret(_curves(o), title="t") for o in (("rs",), ("rs", "re"), ("rs", "re", "ls"))]
    for fig in figs:
        assert text_problems(fig) == []
    assert sum(ax.get_visible() for ax in figs[0].axes) == 9


def test_reference_method_is_drawn_on_top():
    fig = _draw("size_tradeoff")
    for ax in fig.axes:
        z = {c.get_label(): c.get_zorder() for c in ax.collections}
        assert z["lissnas"] == max(z.values())
    fig = C.plot_size_tradeoff(_sub(RES, T0), reference="random")
    z = {c.get_label(): c.get_zorder() for c in fig.axes[0].collections}
    assert z["random"] == max(z.values())


def test_svg_and_pdf_are_byte_identical_on_rerender_and_keep_text(tmp_path):
    opts = FigureOptions(formats=("svg", "pdf", "png"))
    with pinned(opts):
        a = save_figure(FIGURES["size_tradeoff"](), tmp_path / "a", opts)
        b = save_figure(FIGURES["size_tradeoff"](), tmp_path / "b", opts)
    assert [p.suffix for p in a] == [".png", ".svg", ".pdf"]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.suffix
    svg = a[1].read_text()
    assert "<text" in svg and "regret" in svg and "<dc:date>" not in svg
    pdf = a[2].read_bytes()
    assert b"CreationDate" not in pdf and b"FontFile2" in pdf  # TrueType embedded: text stays text


def test_make_figures_writes_the_asked_formats(tmp_path):
    opts = FigureOptions(formats="png,pdf", dpi=50)
    made = C.make_figures(tmp_path, manifest={"targets": [T0]}, results=_sub(RES, T0), traces=TR, distributions=DIST,
                          cells=CELLS, options=opts)
    assert made["_all"] == {"overview": "figures/overview.png"}
    assert set(made[T0["key"]]) == {"distribution", "size_tradeoff", "diversity", "retention", "trace", "kendall"}
    for rel in made[T0["key"]].values():
        assert (tmp_path / rel).exists() and (tmp_path / rel).with_suffix(".pdf").exists()
        assert not (tmp_path / rel).with_suffix(".svg").exists()
    out = save_search_figures(_curves(("rs",)), tmp_path / "s", options=FigureOptions(formats=("svg",)))
    assert [Path(p).suffix for p in next(iter(out.values()))] == [".svg"]
    paths = L.make_figures(fd.locality_result(), tmp_path / "loc", FigureOptions(formats=("png", "svg"), dpi=50))
    assert sorted(paths) == sorted(L.FIGURES) and all(len(p) == 2 for p in paths.values())


@pytest.mark.slow
def test_make_figures_in_worker_processes(tmp_path):
    made = C.make_figures(tmp_path, manifest=MAN, results=RES, traces=TR, distributions=DIST, cells=CELLS,
                          options=FigureOptions(dpi=50, workers=2))
    assert all((tmp_path / rel).exists() for figs in made.values() for rel in figs.values())


@pytest.mark.parametrize("bad", [{"formats": ("png", "jpg")}, {"formats": ()}, {"dpi": 20}, {"dpi": 5000},
                                 {"font_size": 2}, {"font_size": 30}, {"width": 1}, {"width": 12}, {"workers": 0}])
def test_figure_options_refuse_bad_values(bad):
    with pytest.raises(InvalidConfig, match="figure options"):
        FigureOptions(**bad)


def test_figure_options_from_cli():
    assert figure_options_from_cli(None, None, None) == FigureOptions()
    o = figure_options_from_cli("PDF, png,svg", "300", 9)
    assert o.formats == ("png", "svg", "pdf") and o.dpi == 300 and o.font_size == 9.0
    with pytest.raises(InvalidConfig, match="formats"):
        figure_options_from_cli("png,eps", None, None)
