"""The strict YAML loader: SafeLoader semantics, duplicate keys and non-text input refused with one clear error."""

from __future__ import annotations

import pytest

from lissnas_bench._yaml import load_yaml
from lissnas_bench.errors import DataFileError, InvalidConfig


def test_plain_yaml_as_safe_loader_reads_it():
    text = "a: 1\nb:\n  c: [1, 2.5, null, true]\n  d: {e: x}\nbase: &b {k: 1}\nderived:\n  <<: *b\n  k: 2\n"
    assert load_yaml(text, source="t") == {"a": 1, "b": {"c": [1, 2.5, None, True], "d": {"e": "x"}},
                                           "base": {"k": 1}, "derived": {"k": 2}}
    assert load_yaml("", source="t") is None


@pytest.mark.parametrize("text, key, line, first", [
    ("a: 1\na: 2\n", "a", 2, 1),
    ("train:\n  lr: 0.1\n  steps: 3\n  lr: 0.2\n", "lr", 4, 2),
    ("x:\n  - {p: 1, q: 2, p: 3}\n", "p", 2, 2),
    ("train: {}\neval: {}\ntrain: {steps: 1}\n", "train", 3, 1),
    ("yes: 1\ntrue: 2\n", True, 2, 1),  # the same key after YAML's own conversion
])
def test_duplicate_keys_at_any_depth(text, key, line, first):
    with pytest.raises(InvalidConfig) as e:
        load_yaml(text, source="cfg.yaml")
    assert str(e.value) == f"cfg.yaml, line {line}: duplicate key {key!r} (first given on line {first})"


@pytest.mark.parametrize("raw", [b"a: 1\x00\x01\x02", b"\xff\xd8\xff\xe0 JFIF", "a: ü".encode("latin-1"),
                                 "a: 1".encode("utf-16")])
def test_binary_or_non_utf8_input(raw, tmp_path):
    p = tmp_path / "c.yaml"
    p.write_bytes(raw)
    with pytest.raises(DataFileError, match=r"^c\.yaml is not a text YAML file"):
        load_yaml(p, source="c.yaml")
    with pytest.raises(DataFileError, match="is not a text YAML file"):
        load_yaml(raw, source="c.yaml")


def test_python_tags_and_syntax_errors_are_one_line(tmp_path):
    with pytest.raises(DataFileError, match="could not determine a constructor") as e:
        load_yaml("x: !!python/object/apply:os.system ['true']\n", source="c.yaml")
    assert "\n" not in str(e.value) and "line 1, column 4" in str(e.value)
    with pytest.raises(DataFileError, match="cannot be parsed as YAML") as e:
        load_yaml("train: [1, 2\n", source="c.yaml")
    assert "\n" not in str(e.value)
    with pytest.raises(DataFileError, match="does not exist"):
        load_yaml(tmp_path / "missing.yaml", source="missing.yaml")
    assert load_yaml("a: 1\n".encode("utf-8-sig"), source="bom") == {"a": 1}


def test_oneshot_config_file_uses_it(tmp_path):
    from lissnas_bench.oneshot import load_config

    p = tmp_path / "c.yaml"
    p.write_text("space: mobilenet\ntrain:\n  steps: 3\n  lr: 0.1\ntrain:\n  steps: 5\n")
    with pytest.raises(InvalidConfig, match=r"line 5: duplicate key 'train' \(first given on line 2\)"):
        load_config(p)
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(DataFileError, match="is not a text YAML file"):
        load_config(p)
