"""The mypyc build (setup.py) and `reportmine.compiled`, which says what this installation compiled."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from reportmine.compiled import compiled_modules, compiled_status, listed_modules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup_script():
    spec = importlib.util.spec_from_file_location("reportmine_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines the build's functions; setup() runs only as __main__
    return module


def test_every_listed_module_is_a_module_of_the_package():
    assert "reportmine.extract.metrics" in listed_modules()
    for name in listed_modules():
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, name
        assert Path(spec.origin).with_name(name.rsplit(".", 1)[1] + ".py").is_file(), name


def test_the_build_compiles_the_sources_of_the_listed_modules(setup_script):
    paths = setup_script.compiled_module_paths()
    assert len(paths) == len(listed_modules())
    for path, name in zip(paths, listed_modules()):
        assert (REPO / path).is_file()
        assert path == "src/" + name.replace(".", "/") + ".py"


@pytest.mark.parametrize("argv", [["setup.py", "egg_info"], ["setup.py", "dist_info"], ["setup.py", "editable_wheel"]])
def test_metadata_and_editable_builds_compile_nothing(setup_script, monkeypatch, argv):
    monkeypatch.setattr(sys, "argv", argv)
    assert setup_script.compiled_extensions() == []


def test_pure_python_is_asked_for_with_an_environment_variable(setup_script, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["setup.py", "bdist_wheel"])
    monkeypatch.setenv("REPORTMINE_PURE_PYTHON", "1")
    assert setup_script.compiled_extensions() == []


def test_compiled_modules_are_those_loaded_from_extensions():
    status = compiled_status()
    assert list(status) == list(listed_modules())
    assert compiled_modules() == [name for name in listed_modules() if status[name]]
    import reportmine.extract.metrics as metrics

    assert status["reportmine.extract.metrics"] == (not metrics.__file__.endswith(".py"))
