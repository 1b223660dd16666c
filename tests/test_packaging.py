"""The pins: pyproject.toml, environment.yml and requirements-lock.txt agree."""
import re
import tomllib

import yaml

from tests.conftest import ROOT


def pyproject_pins() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return dict(d.split("==") for d in deps)


def test_every_dependency_is_pinned_exactly():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert all("==" in d for d in deps)


def test_environment_yml_mirrors_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert dict(d.split("==") for d in pip if "==" in d) == pyproject_pins()
    assert "python=3.11" in env["dependencies"]


def test_lockfile_agrees_with_the_pins():
    lock = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            lock[re.sub(r"[-_.]+", "-", name.lower())] = version
    for name, version in pyproject_pins().items():
        key = re.sub(r"[-_.]+", "-", name.split("[")[0].lower())
        assert lock[key].split("+")[0] == version, name
