"""Bad input to the locality analysis and its command: one clear error (exit code 2 on the command line), and
outputs that go where the user expects."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_cli

from lissnas_bench.errors import InvalidConfig, UnknownName
from lissnas_bench.locality import LocalitySettings, analyze_locality
from lissnas_bench.locality._cost import MEMORY_LIMIT, check_resources, estimates

QUICK = ["--max-distance", "2", "--samples", "50", "--permutations", "19", "--bootstrap", "20", "--walks", "10"]


# ---------------------------------------------------------------------------------------------- settings
def test_settings_name_the_field_and_accept_strings():
    st = LocalitySettings.build({"samples": "300", "top_fractions": "0.01,0.1", "maximize": "no"})
    assert (st.samples, st.top_fractions, st.maximize) == (300, (0.01, 0.1), False)
    for given, fragment in [
        ({"seed": -1}, "seed must be >= 0, got -1"),
        ({"walks": 0}, "walks must be >= 1, got 0"),
        ({"confidence": 1.0}, "confidence must be < 1"),
        ({"top_fractions": (0.5, 1.5)}, "top_fractions must be < 1"),
        ({"top_fractions": ()}, "top_fractions must hold at least one"),
        ({"mode": "fast"}, "mode must be one of auto, exact, sampled"),
        ({"max_distance": 2.5}, "max_distance must be an integer"),
        ({"max_distance": 3, "walk_length": 3}, "walk_length must be > max_distance (3)"),
    ]:
        with pytest.raises(InvalidConfig, match=pytest.importorskip("re").escape(fragment)):
            LocalitySettings.build(given)


def test_keywords_settings_and_rng_meet_in_one_place(analognas):
    kw = {"max_distance": 2, "permutations": 19, "bootstrap": 20, "walks": 10, "samples": 50}
    a = analyze_locality(analognas, settings=LocalitySettings(**kw), rng=3).to_dict()
    b = analyze_locality(analognas, settings={"max_distance": 2, "samples": 50}, permutations=19, bootstrap=20,
                         walks=10, seed=3).to_dict()
    assert a == b and a["settings"]["seed"] == 3
    with pytest.raises(UnknownName, match="locality: unknown parameter 'sampels'"):
        analyze_locality(analognas, sampels=10)
    with pytest.raises(InvalidConfig, match="rng or seed, not both"):
        analyze_locality(analognas, rng=1, seed=2)
    with pytest.raises(InvalidConfig, match="rng must be an int seed or a numpy.random.Generator"):
        analyze_locality(analognas, rng="7")
    with pytest.raises(InvalidConfig, match="walk_length must be > max_distance \\(6\\)"):
        analyze_locality(analognas, walk_length=5)  # max_distance defaults to 6 on NB201


# ---------------------------------------------------------------------------------------------- resources
def test_huge_walks_are_refused_before_anything_is_allocated(analognas):
    with pytest.raises(InvalidConfig, match="walks × walk_length: 10,000,000 walks of 501 steps need about .* GiB "
                                            "of memory, over the limit of 4 GiB; lower --walks or --walk-length"):
        analyze_locality(analognas, walks=10_000_000)
    with pytest.raises(InvalidConfig, match="100 walks of 1,000,000,001 steps"):
        analyze_locality(analognas, walk_length=1_000_000_000)
    with pytest.raises(InvalidConfig, match="samples × walk_length: 100,000,000 walks"):
        analyze_locality(analognas, mode="sampled", samples=100_000_000)
    with pytest.raises(InvalidConfig, match="bootstrap: 100,000,000 bootstrap replicates need about .* operations"):
        analyze_locality(analognas, bootstrap=100_000_000)
    st = LocalitySettings(walks=10_000_000, max_distance=6, walk_length=500, maximize=True)
    check_resources(st, n=15_625, positions=6, neighbours=24, mode="exact", allow_large=True)  # --yes: no error


def test_default_settings_are_far_inside_the_limits():
    for n, positions, neighbours, mode in [(15_625, 6, 24, "exact"), (200_000, 8, 16, "exact"),
                                           (423_624, 26, 26, "sampled")]:
        st = LocalitySettings(max_distance=6, maximize=True).for_mode(mode)
        for e in estimates(st, n, positions, neighbours, mode):
            assert e.bytes < MEMORY_LIMIT / 20 and e.ops < 1e10, e


# ---------------------------------------------------------------------------------------------- command line
@pytest.mark.parametrize("args, fragment", [
    (["--seed", "-1"], "seed must be >= 0, got -1"),
    (["--walks", "10000000"], "walks × walk_length: 10,000,000 walks of 501 steps"),
    (["--walk-length", "1000000000"], "lower --walks or --walk-length, or pass --yes"),
    (["--samples", "1"], "samples must be >= 2, got 1"),
    (["--max-distance", "9"], "beyond nb201's largest hamming distance 6"),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "locality", "analognas", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and fragment in err, err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_cli_default_out_is_under_results_and_no_figures_says_so(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "locality", "analognas", *QUICK, "--no-figures")
    assert code == 0, err
    target = tmp_path / "results" / "locality" / "analognas-cifar10"
    assert sorted(p.name for p in target.iterdir()) == ["locality.json", "report.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # nothing else in the working directory
    assert "(no figures)" in out and "figures" not in out.replace("(no figures)", "")
    assert "![" not in (target / "report.md").read_text()
    # a metric other than the default gets its own folder
    code, out, err = run_cli(capsys, "locality", "analognas", "-m", "analog_accuracy", *QUICK, "--no-figures",
                             "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["out"] == "results/locality/analognas-cifar10-analog_accuracy"
    assert json.loads((tmp_path / d["out"] / "locality.json").read_text())["fdc"] == d["fdc"]


def test_cli_compare_default_out_is_under_results(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "locality", "--compare", "analognas,analognas::analog_accuracy", *QUICK,
                             "--no-figures")
    assert code == 0, err
    (folder,) = (tmp_path / "results" / "locality").iterdir()
    assert folder.name.startswith("compare-") and (folder / "compare.json").exists()
    assert not np.any([p.suffix == ".png" for p in folder.rglob("*")])
