"""``repro`` under faults and bad input (issue 16's probe as a test module): bad targets and parameters, cache
damage, broken notebooks, a read-only, uncreatable or full build folder, and kill -9 and Ctrl-C during a
kernel, during gloo workers and during zoo training. Every case ends in a one-line error or a clean recovery,
nothing already produced is lost, and after every kill no process started by ``repro`` is alive 2 s later.
Then what standard tools see: papermill's parameters, the jupytext round trip, a plain nbval run.

Parameter and target cases run in this process on the real notebooks (nothing runs); the rest on the
``project`` fixture, with the fixture notebooks of ``tests/fixtures/faults`` copied in as a case needs them
(they stay out of ``tests/fixtures/notebooks`` so that the CLI tests' ``run all`` does not run them)."""
from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from lib.repro import cache, cli, execute, pages, worker
from lib.repro.notebooks import ROOT, Notebook, discover, source_of
from tests.conftest import FIXTURES

FAULTS = FIXTURES / "faults"
IS_ROOT = os.geteuid() == 0
#: Every process started by a `repro` under test inherits this variable, so that it can be found after the
#: process that started it is gone.
MARK = "REPRO_FAULTS_PROBE"


# --------------------------------------------------------------------------------------------- helpers
def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    return lines[0]


@pytest.fixture
def build(tmp_path, monkeypatch):
    """A build folder of this test's own, for commands run in this process on the real notebooks."""
    monkeypatch.setenv("REPRO_BUILD_DIR", str(tmp_path / "elsewhere"))
    return tmp_path / "elsewhere" / "_build"


def in_process(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def env_for(root: Path, **extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), **extra}
    env.pop("REPRO_BUILD_DIR", None)
    env.pop("REPRO_ZOO_DIR", None)
    return env


def repro(root: Path, *args: str, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lib.repro.cli", *args], cwd=root, env=env or env_for(root),
                          capture_output=True, text=True, timeout=timeout)


def add_fixture(project: Path, name: str) -> Path:
    path = project / "notebooks" / "demo" / f"{name}.py"
    shutil.copyfile(FAULTS / f"{name}.py", path)
    return path


def executed(out: str) -> set[str]:
    return {line.split(":")[0].strip() for line in out.splitlines() if ": done in " in line}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but the memo of jupytext's parses (``parsed/``), which is not a result."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "parsed" not in p.relative_to(folder).parts[:2]}


# ------------------------------------------------------------------------------- bad targets and parameters
BAD_INPUT = [  # (arguments, what the one line must say); every case exits 2 and writes nothing
    (["run", "lmul-addition-only-multiplx"], "did you mean lmul-addition-only-multiply"),
    (["run", ""], "no notebook or part named ''"),
    (["run", "numerics/lmul"], "no notebook or part named 'numerics/lmul'"),
    (["run", "x" * 100_000], "no notebook or part named '" + "x" * 39 + "... (100,000 characters)"),
    (["run", "quantum", "-p", "no_such=1"], "unknown parameter 'no_such'; valid parameters: profile, seed"),
    (["run", "sail-lut-gemv", "-p", "seed=abc"], "parameter 'seed' expects int, got 'abc' (str)"),
    (["run", "sail-lut-gemv", "-p", "seed=2.5"], "expects int, got 2.5"),
    (["run", "sail-lut-gemv", "-p", "seed=True"], "expects int, got True (bool)"),
    (["run", "sail-lut-gemv", "-p", "seed=-1"], "out of its range: 0..2147483647"),
    (["run", "sail-lut-gemv", "-p", "seed=1e999"], "expects int, got inf"),
    (["run", "sail-lut-gemv", "-p", "g=7"], "must be one of 2, 3, 4, 5, 6, 8; got 7"),
    (["run", "sail-lut-gemv", "-p", "n_windows=0"], "n_windows' = 0 is out of its range: 2..2000"),
    (["run", "c2q-classical-to-quantum", "-p", "device=\u0441pu"],
     "must be one of cpu; got '\\u0441pu' (it contains U+0441 CYRILLIC SMALL LETTER ES, not ASCII)"),
    (["run", "c2q-classical-to-quantum", "-p", "recommender_sizes=4,x"], "item 'x' is not an int"),
    (["run", "c2q-classical-to-quantum", "-p", "recommender_sizes=4,8,1000"], "item 1000 is out of 4..100"),
    (["run", "c2q-classical-to-quantum", "-p", "recommender_sizes=4,,8"], "item '' is not an int"),
    (["run", "hybrid-qnn-image-classification", "-p", "eps_list=0.03;0.1"], "item '0.03;0.1' is not a float"),
    (["run", "hybrid-qnn-image-classification", "-p", "eps_list=0.03,nan"], "item nan is out of 0..1"),
    (["run", "fastswitch-kv-context-switching", "-p", "pcie_gbps=nan"], "expects float, got 'nan' (str)"),
    (["run", "fastswitch-kv-context-switching", "-p", "pcie_gbps=1e999"], "must be a finite number; got inf"),
    (["run", "sail-lut-gemv", "-p", "seed=" + "-" * 100_000 + "1"], "is 100,001 characters long; at most 1,000"),
    (["run", "sail-lut-gemv", "-p", "device=" + "c" * 100_000], "is 100,000 characters long; at most 1,000"),
    (["run", "sail-lut-gemv", "-p", "seed=1", "-p", "seed=2"], "parameter 'seed' is given twice ('1' and '2')"),
    (["run", "sail-lut-gemv", "-p", "seed"], "-p expects name=value, got 'seed'"),
    (["run", "sail-lut-gemv", "-p", "=3"], "-p expects name=value, got '=3'"),
    (["run", "sail-lut-gemv", "--profile", "huge"], "unknown profile 'huge'; use one of: quick, full"),
    (["run", "sail-lut-gemv", "-p", "profile=\u0444ull"], "unknown profile '\\u0444ull' (it contains U+0444"),
    (["run", "sail-lut-gemv", "-p", "profile=full", "--profile", "quick"], "disagree; give the profile once"),
    (["run", "sail-lut-gemv", "--jobs", "0"], "--jobs must be at least 1"),
    (["show", "quantum"], "'quantum' is a part; name one notebook"),
    (["runs", "no-such-notebook"], "no notebook or part named 'no-such-notebook'"),
]


@pytest.mark.parametrize("args,message", BAD_INPUT, ids=[" ".join(a)[:60] for a, _ in BAD_INPUT])
def test_bad_input_is_one_short_line_exit_2_and_writes_nothing(build, capsys, args, message):
    code, _, err = in_process(capsys, *args)
    line = one_line(err)
    assert code == cli.BAD_INPUT and message in line and len(line) < 400, line
    assert not build.parent.exists()


def test_a_missing_lockfile_is_an_error_not_a_rerun_under_a_new_key(build, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "LOCKFILE", tmp_path / "requirements-lock.txt")
    code, _, err = in_process(capsys, "run", "sail-lut-gemv")
    assert code == cli.BAD_INPUT and "requirements-lock.txt is missing" in one_line(err)


def plan(target: str, *pairs: str, profile: str | None = None) -> list[execute.Job]:
    return execute.plan(target, execute.parse_overrides(list(pairs)), profile, ROOT / "_build")


def test_comma_separated_lists_need_no_quotes():
    assert plan("c2q-classical-to-quantum", "recommender_sizes=4,8")[0].params == {"recommender_sizes": "4,8"}
    assert plan("hybrid-qnn-image-classification", "eps_list=0.03,0.1")[0].params == {"eps_list": "0.03,0.1"}
    assert plan("c2q-classical-to-quantum", "recommender_sizes='4,8'")[0].params == {"recommender_sizes": "4,8"}


def test_naming_a_default_is_the_default_run():
    slug = "fastswitch-kv-context-switching"
    default = plan(slug)[0]
    assert plan(slug, "copy_overhead_us=5", "seed=0", "n_sessions=None", "device=cpu")[0].key == default.key
    assert plan(slug, "copy_overhead_us=5.5")[0].key != default.key


def test_the_profile_as_the_exercises_write_it():
    slug = "long-context-kv-analysis"
    assert plan(slug, "profile=full")[0].key == plan(slug, profile="full")[0].key
    assert plan(slug, "profile=full")[0].profile == "full"


def documented_commands() -> list[tuple[str, str, str]]:
    """(where, notebook or "", command) for every ``repro run`` or ``repro show`` written in the README, the
    contributing guide, the book's pages, the notebooks (with their ``-p ...`` fragments, which belong to the
    notebook they are in) and the parameter cards the book generates; placeholders (``<slug>``) are skipped."""
    command = re.compile(r"repro (?:run|show) [^`\"'\n)]*")
    fragment = re.compile(r"`((?:-p [^`\s]+|--profile \w+)(?: (?:-p [^`\s]+|--profile \w+))*)`")
    found = []
    for path in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "book").glob("*.md"))]:
        found += [(path.name, "", c) for c in command.findall(path.read_text())]
    for nb in discover():
        text = nb.source()
        found += [(nb.slug, nb.slug, c) for c in command.findall(text)]
        found += [(nb.slug, nb.slug, f"repro run {nb.slug} {f}") for f in fragment.findall(text)]
        found += [(f"{nb.slug} (card)", nb.slug, c) for c in command.findall(pages.parameter_card(nb))]
    commands = [(w, nb, c.split(" #")[0].strip().rstrip(".,;:")) for w, nb, c in found]
    return [(w, nb, c) for w, nb, c in commands if "<" not in c and "..." not in c]


def test_every_documented_command_passes_validation():
    commands = documented_commands()
    assert len(commands) > 60
    parser = cli.make_parser()
    for where, _, text in commands:
        args = parser.parse_args(shlex.split(text)[1:])
        target = getattr(args, "target", None) or args.slug
        try:
            execute.plan(target, execute.parse_overrides(args.p), args.profile, ROOT / "_build")
        except Exception as exc:
            pytest.fail(f"{where}: `{text}`: {exc}")


# ------------------------------------------------------------------------------------------ cache damage
def sealed_entry(store: cache.Cache, slug: str, key: str) -> Path:
    """A complete entry, made as a run's is: written in staging, sealed, committed."""
    tmp = store.staging(slug)
    nbformat.write(nbformat.v4.new_notebook(), tmp / cache.EXECUTED)
    (tmp / cache.RESULTS).write_text(json.dumps({"slug": slug, "counts": {"reproduced": 1},
                                                 "claims": [{"id": "C1", "verdict": "reproduced"}]}))
    (tmp / cache.RUN_RECORD).write_text(json.dumps({"status": "ok", "has_results": True}))
    assert cache.check_run(tmp)
    return store.commit(tmp, slug, key)


def reseal(entry: Path):
    """Make the record's checksums match the files again, as a hand edit that knows the format would."""
    run = json.loads((entry / cache.RUN_RECORD).read_text())
    run["sha256"] = {name: cache.digest(entry / name) for name in run["sha256"] if (entry / name).is_file()}
    (entry / cache.RUN_RECORD).write_text(json.dumps(run))


def results_empty_resealed(entry):
    (entry / cache.RESULTS).write_text("{}")
    reseal(entry)


def counts_a_list_resealed(entry):
    (entry / cache.RESULTS).write_text(json.dumps({"counts": [], "claims": []}))
    reseal(entry)


def verdict_unknown_resealed(entry):
    (entry / cache.RESULTS).write_text(json.dumps({"counts": {"maybe": 1}, "claims": [{"verdict": "maybe"}]}))
    reseal(entry)


def entry_a_file(entry):
    shutil.rmtree(entry)
    entry.write_text("not a folder")


def entry_a_link(entry):
    target = entry.parent.parent.parent / "elsewhere"
    shutil.copytree(entry, target)
    shutil.rmtree(entry)
    entry.symlink_to(target)


def record_a_folder(entry):
    (entry / cache.RUN_RECORD).unlink()
    (entry / cache.RUN_RECORD).mkdir()


def record_a_list(entry):
    (entry / cache.RUN_RECORD).write_text("[]")


def record_seals_another_file(entry):
    run = json.loads((entry / cache.RUN_RECORD).read_text())
    run["sha256"]["../../x"] = "0" * 64
    (entry / cache.RUN_RECORD).write_text(json.dumps(run))


def results_missing_resealed(entry):
    (entry / cache.RESULTS).unlink()
    reseal(entry)


def notebook_truncated(entry):
    (entry / cache.EXECUTED).write_text("{ not json")


DAMAGE = [results_empty_resealed, counts_a_list_resealed, verdict_unknown_resealed, entry_a_file, entry_a_link,
          record_a_folder, record_a_list, record_seals_another_file, results_missing_resealed, notebook_truncated]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_a_damaged_entry_of_any_shape_is_discarded_and_the_fresh_run_committed(tmp_path, damage):
    store = cache.Cache(tmp_path / "_build")
    neighbour = sealed_entry(store, "other", "k0")
    before = snapshot(neighbour)
    entry = sealed_entry(store, "x", "k1")
    damage(entry)
    assert store.lookup("x", "k1") is None
    assert not entry.exists() and not entry.is_symlink()
    assert sealed_entry(store, "x", "k1") == entry and cache.is_valid(entry)
    assert snapshot(neighbour) == before  # nothing else was touched
    if damage is entry_a_link:  # the link goes, not what it pointed to
        assert (store.build / "elsewhere" / cache.RUN_RECORD).is_file()


@pytest.mark.parametrize("where", ["cache/x", "cache", "tmp"])
def test_a_file_where_a_cache_folder_belongs_does_not_stop_a_run(tmp_path, where):
    store = cache.Cache(tmp_path / "_build")
    (store.build / where).parent.mkdir(parents=True, exist_ok=True)
    (store.build / where).write_text("in the way")
    assert cache.is_valid(sealed_entry(store, "x", "k1"))


@pytest.mark.slow
def test_a_wrong_entry_is_recovered_from_by_the_next_run(project):
    assert repro(project, "run", "beta").returncode == 0
    (entry,) = (project / "_build" / "cache" / "beta").iterdir()
    results_empty_resealed(entry)
    again = repro(project, "run", "beta")
    assert again.returncode == 0 and "damaged" in again.stdout and executed(again.stdout) == {"beta"}
    entry_a_file(entry)
    again = repro(project, "run", "beta")
    assert again.returncode == 0 and executed(again.stdout) == {"beta"} and cache.is_valid(entry)


@pytest.mark.slow
def test_run_files_have_the_modes_of_the_umask(project):
    assert repro(project, "run", "beta").returncode == 0
    (entry,) = (project / "_build" / "cache" / "beta").iterdir()
    umask = os.umask(0)
    os.umask(umask)
    modes = {p.name: p.stat().st_mode & 0o777 for p in entry.iterdir()}
    assert set(modes.values()) == {0o666 & ~umask}, modes


# -------------------------------------------------------------------------------------- broken notebooks
def broken_line() -> int:
    return next(i for i, line in enumerate((FAULTS / "broken.py").read_text().splitlines(), 1) if " print(" in line)


@pytest.mark.slow
def test_a_syntax_error_is_reported_at_its_real_line_and_the_others_run_and_render(project):
    add_fixture(project, "broken")
    toc = project / "_toc.yml"
    toc.write_text(toc.read_text().replace("      - file: notebooks/demo/beta\n",
                                           "      - file: notebooks/demo/beta\n      - file: notebooks/demo/broken\n"))
    result = repro(project, "book")
    assert result.returncode == cli.FAILED
    report = [line for line in result.stdout.splitlines() if "broken:" in line]
    assert report == [f"  broken: BROKEN, not run: notebooks/demo/broken.py, line {broken_line()}: "
                      "SyntaxError: invalid syntax"]
    assert "Traceback" not in result.stdout + result.stderr
    assert executed(result.stdout) == {"alpha", "beta"}
    html = project / "_build" / "html" / "notebooks" / "demo"
    assert (html / "alpha.html").is_file() and (html / "beta.html").is_file()
    assert "SyntaxError" in (html / "broken.html").read_text()  # its page says why it has no run
    single = repro(project, "run", "broken")
    assert single.returncode == cli.FAILED and "line" in single.stdout and "Traceback" not in single.stderr


@pytest.mark.slow
def test_a_stray_module_or_a_notebook_without_parameters_does_not_stop_the_part(project):
    (project / "notebooks" / "demo" / "helpers.py").write_text("def helper():\n    return 1\n")
    nocell = project / "notebooks" / "demo" / "nocell.py"
    nocell.write_text("# %% [markdown]\n# # No parameters\n\n# %%\nprint(1)\n")
    listed = repro(project, "list")
    assert listed.returncode == cli.FAILED and "Traceback" not in listed.stderr
    assert "(not a notebook, no `# %%` cell: notebooks/demo/helpers.py)" in listed.stdout
    assert "BROKEN: nocell: no cell tagged 'parameters'" in listed.stdout and "demo/alpha" in listed.stdout
    result = repro(project, "run", "demo")
    assert result.returncode == cli.FAILED and executed(result.stdout) == {"alpha", "beta"}


# ------------------------------------------------------------------------------ the build folder's disk
def confined(project: Path, setup: str, args: list[str], env: dict, after: str = "") -> subprocess.CompletedProcess:
    """``repro`` in a private mount namespace (root only), between the shell commands ``setup`` and ``after``;
    its exit code follows "EXIT=" on standard output. Mounts made there vanish with the namespace."""
    script = f"{setup}\n{shlex.join([sys.executable, '-m', 'lib.repro.cli', *args])}\necho EXIT=$?\n{after}"
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], cwd=project,
                          env=env, capture_output=True, text=True, timeout=180)


def exit_of(result: subprocess.CompletedProcess) -> int:
    return int(re.search(r"EXIT=(\d+)", result.stdout)[1])


@pytest.mark.slow
def test_a_read_only_build_folder_is_one_line_and_exit_3(project):
    assert repro(project, "run", "beta").returncode == 0
    build = project / "_build"
    before = snapshot(build)
    if IS_ROOT:  # root writes through permissions: make the folder read-only with a mount
        result = confined(project, f"mount --bind {build} {build} && mount -o remount,ro,bind {build}",
                          ["run", "alpha"], env_for(project))
        code = exit_of(result)
    else:
        subprocess.run(["chmod", "-R", "a-w", str(build)], check=True)
        try:
            result = repro(project, "run", "alpha")
        finally:
            subprocess.run(["chmod", "-R", "u+w", str(build)], check=True)
        code = result.returncode
    line = one_line(result.stderr)
    assert code == cli.UNWRITABLE and str(build) in line and "set REPRO_BUILD_DIR" in line, line
    assert snapshot(build) == before


@pytest.mark.slow
@pytest.mark.parametrize("where", ["/proc/nope", "a-file"])
def test_an_uncreatable_build_folder_is_one_line_and_exit_3(project, where):
    (project / "a-file").write_text("")
    result = repro(project, "run", "beta", env={**env_for(project), "REPRO_BUILD_DIR": str(project / where)})
    line = one_line(result.stderr)
    assert result.returncode == cli.UNWRITABLE and "cannot write" in line and "REPRO_BUILD_DIR" in line, line


@pytest.mark.slow
@pytest.mark.skipif(not IS_ROOT, reason="a full disk is made with a small tmpfs in a mount namespace (root)")
@pytest.mark.parametrize("free_kib", [0, 24], ids=["full-at-start", "full-during-the-run"])
def test_a_full_disk_is_one_line_exit_4_and_loses_nothing(project, free_kib):
    assert repro(project, "run", "beta").returncode == 0
    cached = {f"{cache.digest(p)}  {p.relative_to(project / '_build')}"
              for p in (project / "_build" / "cache").rglob("*") if p.is_file()}
    small = project / "small" / "_build"
    small.mkdir(parents=True)
    # a copy of the build on a 2 MiB disk, filled up but for free_kib, then a run that does not fit
    setup = (f"mount -t tmpfs -o size=2m tmpfs {small} && cp -a {project / '_build'}/. {small}/ && "
             f"dd if=/dev/zero of={small}/pad bs=1k count={free_kib} 2>/dev/null; "
             f"dd if=/dev/zero of={small}/filler bs=1k 2>/dev/null; rm {small}/pad")
    after = (f"echo TMP=$(ls -A {small}/tmp 2>/dev/null | wc -l) EMPTY=$(find {small} -name run.json -size 0 | wc -l)"
             f"; cd {small} && find cache -type f | xargs sha256sum")
    result = confined(project, setup, ["run", "alpha"], {**env_for(project), "REPRO_BUILD_DIR": str(small)}, after)
    assert exit_of(result) == cli.DISK_FULL, result.stdout + result.stderr
    line = one_line(result.stderr)
    assert "no space left" in line and "the cache is intact" in line
    assert "TMP=0 EMPTY=0" in result.stdout  # no run folder, no empty record left behind
    listed = set(result.stdout.split("EMPTY=0\n", 1)[1].strip().splitlines())
    assert listed == cached  # the entries made before are all there, unchanged


# ------------------------------------------------------------------------------- kill -9 and Ctrl-C
@pytest.fixture
def token():
    """The mark of one test's `repro`; whatever still carries it at the end is killed, so that a failing
    test leaves nothing running."""
    token = uuid.uuid4().hex
    yield token
    for proc in marked(token):
        try:
            proc.kill()
        except psutil.Error:
            pass


def marked(token: str) -> list[psutil.Process]:
    """Live processes that carry ``token``: every process a `repro` under test started, however orphaned."""
    found = []
    for proc in psutil.process_iter(["status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and proc.environ().get(MARK) == token:
                found.append(proc)
        except psutil.Error:
            pass
    return found


def wait_until(condition, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def command_lines(token: str) -> list[str]:
    lines = []
    for proc in marked(token):
        try:
            lines.append(" ".join(proc.cmdline()))
        except psutil.Error:
            pass
    return lines


def kernel_running(project: Path, token: str) -> bool:
    return any("ipykernel_launcher" in line for line in command_lines(token))


def gloo_workers_running(project: Path, token: str) -> bool:
    return sum("spawn_main" in line for line in command_lines(token)) >= 2


def zoo_training(project: Path, token: str) -> bool:
    return any((project / "_build" / "zoo").glob("task-tiny-*.tmp-*"))


SCENES = {  # what runs, the fixture it needs, and when it is under way
    "kernel": (["run", "alpha", "-p", "sleep_s=60"], None, kernel_running),
    "gloo": (["run", "gloo"], "gloo", gloo_workers_running),
    "zoo": (["run", "zoo_user"], "zoo_user", zoo_training),
}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
@pytest.mark.parametrize("scene", SCENES)
def test_killed_during_a_run_nothing_it_started_survives_2_s(project, token, tmp_path, scene, sig):
    args, fixture, under_way = SCENES[scene]
    if fixture:
        add_fixture(project, fixture)
    assert repro(project, "run", "beta").returncode == 0
    before = snapshot(project / "_build" / "cache")
    systmp = tmp_path / "systmp"  # the system's temporary folder, as the processes under test see it
    systmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "lib.repro.cli", *args], cwd=project,
                            env=env_for(project, **{MARK: token, "TMPDIR": str(systmp)}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: under_way(project, token), f"{scene} to be under way")
    time.sleep(1)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    if sig == signal.SIGINT:
        assert proc.returncode == cli.INTERRUPTED and "interrupted" in one_line(err)
    time.sleep(2)
    assert command_lines(token) == []  # the worker, the kernel, gloo workers, the resource tracker, trainers
    assert list(systmp.iterdir()) == []  # no kernel connection file (it holds the kernel's key)
    assert not list((project / "_build" / "zoo").glob("*.tmp-*"))  # a trainer removes its folder as it goes
    assert snapshot(project / "_build" / "cache") == before  # nothing produced is lost, nothing half-made
    assert repro(project, "clean").returncode == 0  # what a kill -9 leaves, the next command removes
    assert not any((project / "_build" / "tmp").iterdir())


def test_the_next_build_removes_the_folders_of_trainers_that_died(tmp_path, monkeypatch):
    from lib.llm import zoo, zoo_build

    monkeypatch.setenv("REPRO_ZOO_DIR", str(tmp_path / "zoo"))
    monkeypatch.setattr(zoo, "missing", lambda names=None: [])  # every model trained: nothing to start
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / "zoo" / f"task-tiny-0123.tmp-{dead.stdout.strip()}"
    live = tmp_path / "zoo" / f"task-tiny-0123.tmp-{os.getpid()}"
    stale.mkdir(parents=True)
    live.mkdir()
    assert zoo_build.abandoned_folders() == [stale]
    assert zoo_build.prebuild(["task-tiny"], echo=lambda *_: None) == []
    assert not stale.exists() and live.exists()


def test_a_notebook_that_names_one_model_trains_only_that_one(monkeypatch):
    from lib.llm import zoo_build

    asked = []
    monkeypatch.setattr(zoo_build, "prebuild", lambda names, n_jobs, echo: asked.append(names) or [])
    zoo_build.prepare(["m = zoo.load('task-tiny')", 'other = "task-tiny"'], 2, print)
    assert asked == [["task-tiny"]]


def test_the_zoo_follows_the_build_folder(tmp_path, monkeypatch):
    from lib.llm import zoo

    monkeypatch.delenv("REPRO_ZOO_DIR", raising=False)
    monkeypatch.setenv("REPRO_BUILD_DIR", str(tmp_path / "b"))
    assert zoo.zoo_dir() == tmp_path / "b" / "_build" / "zoo"  # where `repro` puts the rest of the build
    monkeypatch.setenv("REPRO_BUILD_DIR", str(tmp_path / "_build"))
    assert zoo.zoo_dir() == tmp_path / "_build" / "zoo"
    monkeypatch.setenv("REPRO_ZOO_DIR", str(tmp_path / "models"))
    assert zoo.zoo_dir() == tmp_path / "models"


# ------------------------------------------------------------------------------------ failure messages
def test_a_failure_names_the_notebooks_own_cell_and_the_line_that_raised():
    nb = nbformat.v4.new_notebook()
    traceback = ["\x1b[0;31m---------\x1b[0m",  # as IPython writes it, colours and all
                 "Cell \x1b[0;32mIn[4], line 2\x1b[0m\n      1 x = 1\n----> 2 raise RuntimeError('no')"]
    error = nbformat.v4.new_output("error", ename="RuntimeError", evalue="no", traceback=traceback)
    nb.cells = [nbformat.v4.new_code_cell("seed = 0", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("seed = 1", metadata={"tags": ["injected-parameters"]}),
                nbformat.v4.new_markdown_cell("# prose"),
                nbformat.v4.new_code_cell("import os"),
                nbformat.v4.new_code_cell("x = 1\nraise RuntimeError('no')", outputs=[error])]
    assert worker.where_it_failed(nb) == "cell 3, line 2 (raise RuntimeError('no'))"


# ---------------------------------------------------------------------- what standard tools see
PAPERS = [*discover(), Notebook(ROOT / "notebooks" / "_template.py")]


def papermill_type(p) -> str:
    """How a parameters cell writes repro's type of ``p`` for papermill: ``Optional[int]`` for int | None."""
    named = [t.__name__ for t in p.types if t is not type(None)]
    return f"Optional[{named[0]}]" if len(named) < len(p.types) else named[0]


@pytest.mark.parametrize("nb", PAPERS, ids=lambda nb: nb.slug)
def test_papermill_lists_every_parameter_with_its_type(nb, tmp_path):
    import papermill

    path = tmp_path / f"{nb.slug}.ipynb"
    nbformat.write(nb.read(), path)
    seen = papermill.inspect_notebook(str(path))
    ours = nb.parameters()
    assert list(seen) == list(ours)
    for name, p in ours.items():
        assert seen[name]["inferred_type_name"] == papermill_type(p), name
        assert ast.literal_eval(seen[name]["default"]) == p.default, name


@pytest.mark.parametrize("nb", PAPERS, ids=lambda nb: nb.slug)
def test_a_jupytext_round_trip_changes_nothing(nb):
    import jupytext

    text = source_of(nb.path)
    again = jupytext.writes(jupytext.reads(text, fmt="py:percent"), fmt="py:percent")
    header, body = text.split("\n# ---\n", 1)
    header_again, body_again = again.split("\n# ---\n", 1)
    assert header_again == header
    # jupytext strips the trailing spaces of Markdown lines; the notebooks' bodies are another change's
    assert [ln.rstrip() for ln in body_again.splitlines()] == [ln.rstrip() for ln in body.splitlines()]


@pytest.mark.slow
def test_a_plain_nbval_run_on_an_executed_notebook_masks_timed_rows(project):
    add_fixture(project, "timed")
    shutil.copyfile(ROOT / "pyproject.toml", project / "pyproject.toml")
    (project / "tests").mkdir()
    shutil.copyfile(ROOT / "tests" / "nbval_sanitize.cfg", project / "tests" / "nbval_sanitize.cfg")
    assert repro(project, "run", "timed").returncode == 0
    (entry,) = (project / "_build" / "cache" / "timed").iterdir()
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", str(entry / cache.EXECUTED)],
                            cwd=project, env=env_for(project), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:]
