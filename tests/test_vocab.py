"""Tests for reportmine.vocab: the shipped YAML resources read the same through libyaml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reportmine.vocab import parse_yaml, resource_path

_SHIPPED_YAML = sorted(path.name for path in resource_path(".").glob("*.yaml"))


def test_every_resource_table_is_checked() -> None:
    assert {"codebook.yaml", "metrics.yaml", "shortcoming_codebook.yaml"} <= set(_SHIPPED_YAML)


@pytest.mark.parametrize("name", _SHIPPED_YAML)
def test_parse_yaml_reads_a_shipped_table_as_safe_load_does(name: str) -> None:
    text = resource_path(name).read_text(encoding="utf-8-sig")
    assert parse_yaml(text) == yaml.safe_load(text)


def test_parse_yaml_reads_an_open_file_and_refuses_python_tags(tmp_path: Path) -> None:
    path = tmp_path / "codes.yaml"
    path.write_text("小班化:\n  terms: [小班化, 小班教学]\n", encoding="utf-8")
    with path.open(encoding="utf-8") as handle:
        assert parse_yaml(handle) == {"小班化": {"terms": ["小班化", "小班教学"]}}
    with pytest.raises(yaml.YAMLError):  # safe loading: no object built from a tag
        parse_yaml("!!python/object/apply:os.system ['echo hi']")
