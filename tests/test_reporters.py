"""check's reporters: the format chosen by the environment."""

from __future__ import annotations


from typer.testing import CliRunner

from cnncalc.cli.app import app


runner = CliRunner()


def test_github_format_is_automatic_in_actions(tmp_path, monkeypatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [8, 8, 3]\nlayers:\n  - convv: 8\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"::error file={bad},line=3,col=5,title=unknown-kind::unknown layer kind")


def test_json_report_explains_each_rule_from_the_registry(tmp_path) -> None:
    import json

    from cnncalc.core.rules import RULES

    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [7, 7, 3]\nlayers:\n  - maxpool: 2\n  - convv: 8\n")
    result = runner.invoke(app, ["check", "--format", "json", str(bad)])
    report = json.loads(result.stdout)
    assert [p["rule"] for p in report["problems"]] == ["unknown-kind"]
    assert report["rules"] == {"unknown-kind": {"level": "error", "summary": RULES["unknown-kind"].summary}}
