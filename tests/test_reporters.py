"""check's reporters: the format chosen by the environment."""

from __future__ import annotations


from typer.testing import CliRunner

from cnncalc.cli import app


runner = CliRunner()


def test_github_format_is_automatic_in_actions(tmp_path, monkeypatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [8, 8, 3]\nlayers:\n  - convv: 8\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"::error file={bad},line=3,col=5,title=unknown-kind::unknown layer kind")
