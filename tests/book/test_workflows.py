"""The GitHub Actions workflows pass actionlint, and actionlint really rejects a broken workflow."""

from tools import lint_workflows

EXPECTED = {"ci.yml", "gpu.yml", "colab.yml", "publish.yml"}


def test_the_workflows_exist():
    assert EXPECTED <= {p.name for p in lint_workflows.WORKFLOWS.glob("*.yml")}


def test_the_workflows_pass_actionlint(capsys):
    assert lint_workflows.main([]) == 0, capsys.readouterr().out


def test_actionlint_rejects_a_broken_workflow(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n"
    )
    assert lint_workflows.main([str(bad)]) == 1
    assert "no_such_property" in capsys.readouterr().out
