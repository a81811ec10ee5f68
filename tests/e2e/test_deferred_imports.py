"""The command line defers pandas' import (`reportmine.cli.deferred`): each test runs a fresh interpreter."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(script: str) -> list[str]:
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return completed.stdout.splitlines()


def test_a_deferred_module_loads_at_its_first_attribute() -> None:
    script = """
import sys
from reportmine.cli.deferred import DeferredModule, defer_import
defer_import("fractions")
import fractions
print(isinstance(fractions, DeferredModule), "Fraction" in vars(fractions))
print(fractions.Fraction(1, 3) + fractions.Fraction(2, 3))
real = sys.modules["fractions"]
print(isinstance(real, DeferredModule), real.Fraction is fractions.Fraction, "Fraction" in vars(fractions))
"""
    assert _run(script) == ["True False", "1", "False True True"]


def test_a_deferred_package_imports_its_submodules_and_an_imported_module_stays() -> None:
    script = """
import json, sys
from reportmine.cli.deferred import defer_import
defer_import("email")
defer_import("json")
print(sys.modules["json"] is json)
import email.mime.text
print(email.mime.text.MIMEText("校本研修", "plain", "utf-8")["Content-Type"])
"""
    assert _run(script) == ["True", 'text/plain; charset="utf-8"']


def test_the_command_line_and_the_per_report_stages_leave_pandas_unloaded(seeds_dir: Path) -> None:
    # What a worker runs (the warm-up, then each file of the seeds: a saved web page holding three
    # reports among them) never touches pandas, so workers forked before it is imported never import it.
    script = f"""
import sys
from pathlib import Path
import reportmine.cli.app
from reportmine import pipeline
print(type(sys.modules["pandas"]).__name__)
settings = pipeline.AnalyzeOptions()
pipeline.warm_up(settings)
root = Path({str(seeds_dir)!r})
rows = [pipeline.analyze_file(task) for task in pipeline._file_tasks(root, pipeline._source_files(root), {{}}, settings)]
print(len(rows), "DataFrame" in vars(sys.modules["pandas"]))
"""
    n_files = len([path for path in seeds_dir.iterdir() if path.is_file()])
    assert _run(script) == ["DeferredModule", f"{n_files} False"]
