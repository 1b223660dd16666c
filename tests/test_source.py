"""lib.source: the code shown on a page is the file's own text, fenced so that nothing in it breaks out."""
from pathlib import Path

from lib.repro.modules import parents
from lib.source import source_markdown


def fenced_function():
    """A docstring with a fence of its own:
    ```python
    x = 1
    ```
    """
    return 1


def test_the_shown_source_is_the_files_own_lines():
    code = parents.__code__
    lines = Path(code.co_filename).read_text().splitlines()
    start = code.co_firstlineno - 1
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith((" ", "\t")))
    expected = "\n".join(lines[start:end]).rstrip()
    text = source_markdown(parents)
    assert f"```python\n{expected}\n```\n````" in text
    assert text.startswith("````{dropdown} Source: `lib.repro.modules.parents`")
    assert "(/book/lib/lib.repro.modules.md)" in text


def test_fences_are_longer_than_any_backtick_run_in_the_code():
    text = source_markdown(fenced_function, open_=True)
    assert text.startswith("`````{dropdown}") and text.endswith("`````") and "\n````python\n" in text
    assert ":open:" in text.splitlines()[1]
