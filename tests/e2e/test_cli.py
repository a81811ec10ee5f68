"""The CLI end to end: help texts, analyze on the seeds and on bad input, inspect, compare, kwic."""
from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pandas as pd
import pytest

from reportmine.output import read_table



def test_every_command_has_help_text(cli):
    from reportmine.cli.app import app

    names = [command.name for command in app.registered_commands]
    assert set(names) == {"analyze", "inspect", "evaluate", "compare", "kwic"}
    for name in names:
        result = cli(name, "--help")
        assert result.exit_code == 0
        assert len(result.output) > 200, name
    assert "reportmine" in cli("--help").output


def test_python_dash_m_works():
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "reportmine", "--version"], capture_output=True, text=True, check=True)
    assert completed.stdout.startswith("reportmine ")


def test_console_command_exits_with_the_command_status_and_flushed_output(tmp_path: Path, seeds_dir: Path):
    """The entry point leaves without interpreter teardown (os._exit): nothing printed or written may be lost."""
    import json
    import subprocess
    import sys

    missing = subprocess.run([sys.executable, "-m", "reportmine", "analyze", str(tmp_path / "nowhere"), "-o", str(tmp_path / "x")],
                             capture_output=True, text=True)
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "reportmine", "analyze", str(seeds_dir), "-o", str(out), "--json", "--no-pictures", "--workers", "1"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["reports"] == 4  # the whole JSON summary reached the pipe
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["counts"]["reports"] == 4
    assert not [path for path in out.rglob("*") if path.name.startswith(".") and path.is_file() and ".cache" not in path.parts]


def test_seeds_give_four_reports_with_titles(seeds_out: Path):
    reports = read_table(seeds_out, "reports")
    assert reports["title"].tolist() == [
        "学校校本研修工作总结报告",
        "小学校本研训项目工作总结1",
        "小学校本研训项目工作总结2",
        "小学校本研训项目工作总结3",
    ]
    assert reports["part"].tolist() == [1, 1, 2, 3]
    assert (seeds_out / "reports.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    for name in ("reportmine.xlsx", "run.json", "report.html", "metrics.parquet", "sections.csv"):
        assert (seeds_out / name).exists(), name
    run = json.loads((seeds_out / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["reports"] == 4 and run["version"]


def test_offsets_point_at_evidence(seeds_out: Path):
    reports = read_table(seeds_out, "reports").set_index("report_id")
    metrics = read_table(seeds_out, "metrics")
    assert len(metrics) > 10
    for row in metrics.itertuples():
        text = (seeds_out / reports.loc[row.report_id, "text_file"]).read_text(encoding="utf-8")
        assert text[int(row.start):int(row.end)] == row.evidence


def _bad_folder(root: Path, seeds: Path) -> Path:
    folder = root / "mixed"
    folder.mkdir()
    shutil.copy(seeds / "000_1a97207371f7c8aa.txt", folder / "good.txt")
    rng = random.Random(3)
    (folder / "random.txt").write_bytes(bytes(rng.randrange(256) for _ in range(4000)))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a docx")
    (folder / "notes.xyz").write_text("不是报告", encoding="utf-8")
    return folder


def test_bad_input_exits_1_and_accounts_for_every_file(tmp_path: Path, cli, seeds):
    folder = _bad_folder(tmp_path, seeds)
    out = tmp_path / "out"
    result = cli("analyze", folder, "-o", out, "--workers", "1", "--quiet", "--no-pictures")
    assert result.exit_code == 1
    reports = read_table(out, "reports")
    errors = read_table(out, "errors")
    accounted = set(reports["path"]) | set(errors["path"])
    assert accounted == {"good.txt", "random.txt", "empty.txt", "broken.docx", "notes.xyz"}
    assert reports["path"].tolist() == ["good.txt"]
    stages = dict(zip(errors["path"], errors["stage"]))
    assert stages["notes.xyz"] == "skip"
    assert all(stages[name] != "skip" for name in ("random.txt", "empty.txt", "broken.docx"))
    assert all(len(message) > 10 for message in errors["error"])


def test_only_skipped_files_do_not_fail_the_run(tmp_path: Path, cli, seeds):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seeds / "000_1a97207371f7c8aa.txt", folder / "a.txt")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n")
    result = cli("analyze", folder, "-o", tmp_path / "out", "--workers", "1", "--quiet", "--no-pictures")
    assert result.exit_code == 0


def test_missing_input_is_a_usage_error(tmp_path: Path, cli):
    result = cli("analyze", tmp_path / "nope", "-o", tmp_path / "out", "--quiet")
    assert result.exit_code == 2


def test_encodings_give_identical_text(tmp_path: Path, cli, seeds):
    text = (seeds / "000_1a97207371f7c8aa.txt").read_text(encoding="utf-8")
    folder = tmp_path / "enc"
    folder.mkdir()
    for encoding, name in (("utf-8", "u8.txt"), ("gb18030", "gb.txt"), ("utf-16", "u16.txt"), ("utf-8-sig", "bom.txt")):
        (folder / name).write_bytes(text.encode(encoding))
    out = tmp_path / "out"
    assert cli("analyze", folder, "-o", out, "--workers", "1", "--quiet", "--no-pictures").exit_code == 0
    reports = read_table(out, "reports")
    texts = {(out / name).read_text(encoding="utf-8") for name in reports["text_file"]}
    assert len(texts) == 1 and reports["n_chars"].nunique() == 1
    assert set(reports["encoding"]) == {"utf-8", "gb18030", "utf-16-le", "utf-8-sig"}


def test_runs_are_byte_identical(tmp_path: Path, cli, seeds):
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert cli("analyze", seeds, "-o", out, "--workers", "1", "--quiet", "--no-cache").exit_code == 0
        digests.append({
            path.relative_to(out).as_posix(): hashlib.sha1(path.read_bytes()).hexdigest()
            for path in sorted(out.rglob("*")) if path.is_file() and path.name != "run.json" and ".cache" not in path.parts
        })
    assert digests[0] == digests[1]
    assert any(name.endswith(".png") for name in digests[0])


def test_cache_reprocesses_only_new_files(tmp_path: Path, cli, seeds):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seeds / "000_1a97207371f7c8aa.txt", folder / "a.txt")
    shutil.copy(seeds / "002_a7e4325be9bd9d85.txt", folder / "b.txt")
    out = tmp_path / "out"
    args = ("analyze", folder, "-o", out, "--workers", "1", "--quiet", "--no-pictures")
    assert cli(*args).exit_code == 0
    first = read_table(out, "metrics")
    (folder / "c.txt").write_text((seeds / "000_1a97207371f7c8aa.txt").read_text(encoding="utf-8").replace("我校", "本校"), encoding="utf-8")
    assert cli(*args).exit_code == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["files_from_cache"] == 2 and run["counts"]["reports"] == 5
    again = read_table(out, "metrics")
    assert len(again) > len(first)
    assert cli(*args, "--no-cache").exit_code == 0
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["files_from_cache"] == 0


def test_user_dictionary_joins_words(tmp_path: Path, seeds):
    import reportmine

    (tmp_path / "dict.txt").write_text("人人一堂课 50 n\n", encoding="utf-8")
    source = seeds / "000_1a97207371f7c8aa.txt"
    plain = reportmine.analyze(source, workers=1)
    joined = reportmine.analyze(source, workers=1, user_dict=tmp_path / "dict.txt")
    assert "人人一堂课" not in plain.tokens["000_1a97207371f7c8aa.txt#1"]
    assert "人人一堂课" in joined.tokens["000_1a97207371f7c8aa.txt#1"]


def test_inspect_json_lists_three_reports_of_the_compilation(cli, seeds):
    result = cli("inspect", seeds / "002_a7e4325be9bd9d85.txt", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert [report["title"] for report in payload] == [f"小学校本研训项目工作总结{n}" for n in (1, 2, 3)]
    assert [sum(s["depth"] == 1 for s in report["sections"]) for report in payload] == [4, 8, 6]


def test_inspect_prints_tree_and_evidence(cli, seeds):
    result = cli("inspect", seeds / "000_1a97207371f7c8aa.txt")
    assert result.exit_code == 0
    # The terminal folds long cells, so check words that survive folding.
    assert "转变思想" in result.output and "欠缺之处" in result.output and "problems" in result.output
    assert "open_lesson" in result.output and "county" in result.output


def test_compare_writes_tables_with_chinese_labels(seeds_out: Path, cli):
    result = cli("compare", seeds_out, "--by", "school", "--table", "metrics", "--labels", "zh")
    assert result.exit_code == 0
    written = pd.read_csv(seeds_out / "compare_metrics_by_school.csv", encoding="utf-8-sig")
    assert "学校" in written.columns and "合计" in written["学校"].astype(str).tolist()
    assert (seeds_out / "compare_metrics_by_school.xlsx").exists()


def test_kwic_finds_small_class_teaching(seeds_out: Path, cli):
    result = cli("kwic", "小班化", seeds_out, "--json")
    assert result.exit_code == 0
    lines = json.loads(result.output)
    assert len(lines) >= 10
    assert all(line["keyword"] == "小班化" for line in lines)


def test_folder_of_only_bad_files_still_writes_every_table(tmp_path: Path, cli):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "zeros.txt").write_bytes(b"\x00" * 500)
    out = tmp_path / "out"
    assert cli("analyze", folder, "-o", out, "--workers", "1", "--quiet").exit_code == 1
    for name in ("reports", "metrics", "topics", "doc_topics", "codes", "near_duplicates", "compare_metrics"):
        assert (out / f"{name}.csv").exists(), name
    assert sorted(read_table(out, "errors")["path"]) == ["empty.txt", "zeros.txt"]


def test_single_short_report_is_analysed(tmp_path: Path, cli):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "a.txt").write_text("校本研修工作总结\n本学期全校共开展公开课3节。", encoding="utf-8")
    out = tmp_path / "out"
    assert cli("analyze", folder, "-o", out, "--workers", "1", "--quiet").exit_code == 0
    metrics = read_table(out, "metrics")
    assert metrics[["category", "value", "level"]].values.tolist() == [["open_lesson", 3, "school"]]


def test_pattern_and_meta_file_give_metadata_with_sources(tmp_path: Path, cli, seeds):
    folder = tmp_path / "in" / "永嘉县实验小学" / "2019"
    folder.mkdir(parents=True)
    shutil.copy(seeds / "000_1a97207371f7c8aa.txt", folder / "a.txt")
    shutil.copy(seeds / "000_1a97207371f7c8aa.txt", folder / "b.txt")
    meta = tmp_path / "meta.xlsx"
    pd.DataFrame({"path": ["永嘉县实验小学/2019/b.txt"], "year": [2020], "funding": ["省级项目"]}).to_excel(meta, index=False)
    out = tmp_path / "out"
    args = ("analyze", tmp_path / "in", "-o", out, "--workers", "1", "--quiet", "--no-pictures",
            "--pattern", "{school}/{year}/*", "--meta", meta)
    assert cli(*args).exit_code == 0
    reports = read_table(out, "reports").set_index("path")
    a, b = reports.loc["永嘉县实验小学/2019/a.txt"], reports.loc["永嘉县实验小学/2019/b.txt"]
    assert (a["school"], a["year"], a["school_source"], a["year_source"]) == ("永嘉县实验小学", 2019, "pattern", "pattern")
    assert (b["year"], b["year_source"], b["funding"]) == (2020, "meta", "省级项目")
    assert a["stage"] == "小学"


@pytest.mark.parametrize(("by", "table", "first_column"), [
    ("district", "metrics", "region"), ("year", "codes", "year"), ("stage", "topics", "stage"),
])
def test_compare_by_each_grouping(corpus_out: Path, cli, by: str, table: str, first_column: str):
    result = cli("compare", corpus_out, "--by", by, "--table", table, "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert rows[0].keys() >= {first_column, "n_reports"}
    assert rows[-1][first_column] == "(all)"
    assert (corpus_out / f"compare_{table}_by_{by}.csv").exists()


def test_user_stopwords_codebook_and_dictionary_are_used(tmp_path: Path, cli, seeds):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seeds / "000_1a97207371f7c8aa.txt", folder / "a.txt")
    (tmp_path / "stop.txt").write_text("课堂\n小班化教育  # a phrase researchers want out\n", encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text(
        "课例研究:\n  description: 课例\n  terms: [课例]\n", encoding="utf-8")
    (tmp_path / "dict.txt").write_text("人人一堂课 50 n\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ("analyze", folder, "-o", out, "--workers", "1", "--quiet", "--no-pictures",
            "--stopwords", tmp_path / "stop.txt", "--codebook", tmp_path / "codebook.yaml",
            "--user-dict", tmp_path / "dict.txt")
    assert cli(*args).exit_code == 0
    keywords = read_table(out, "keywords")
    assert "课堂" not in set(keywords["term"]) and "小班化教育" not in set(keywords["term"])
    codes = read_table(out, "codes")
    assert set(codes["code"]) == {"课例研究"} and codes["count"].iloc[0] >= 3
    # Changing a user file invalidates the cache for every file.
    (tmp_path / "stop.txt").write_text("课堂\n", encoding="utf-8")
    assert cli(*args).exit_code == 0
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["files_from_cache"] == 0


def test_cache_never_mixes_files_with_equal_bytes(tmp_path: Path, cli):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.doc", "b.wps", "c.rtf"):
        (folder / name).write_bytes(b"same bytes")
    out = tmp_path / "out"
    assert cli("analyze", folder, "-o", out, "--workers", "1", "--quiet", "--no-pictures").exit_code == 0
    errors = read_table(out, "errors")
    assert [message.split()[3] for message in errors["error"]] == [".doc", ".wps", ".rtf"]
    assert all("save it as .docx" in message for message in errors["error"])


def test_svg_charts_on_request(tmp_path: Path, cli, seeds, seeds_out: Path):
    assert not list((seeds_out / "charts").glob("*.svg"))  # PNG only by default
    result = cli("analyze", seeds, "-o", tmp_path / "out", "--workers", "1", "--quiet", "--svg")
    assert result.exit_code == 0, result.output
    svgs = sorted(path.name for path in (tmp_path / "out" / "charts").glob("*.svg"))
    pngs = sorted(path.name for path in (tmp_path / "out" / "charts").glob("*.png"))
    assert svgs and [name[:-4] for name in svgs] == [name[:-4] for name in pngs]
    assert "<svg" in (tmp_path / "out" / "charts" / svgs[0]).read_text(encoding="utf-8")
