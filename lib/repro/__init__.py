"""``repro``: the tool that runs the book. It imports no science module (``lib.llm``, ``lib.numerics``,
``lib.systems``, ``lib.quantum``, ``lib.data``); science modules that must build something first register a
hook (:mod:`lib.repro.hooks`).

One module per job:

* :mod:`~lib.repro.notebooks` — discovery, and the one reader of the py:percent source;
* :mod:`~lib.repro.params` — the parameters cell: parsing, types, bounds, validation;
* :mod:`~lib.repro.modules` — the import graph of ``lib`` (what a notebook's key hashes, who uses a module);
* :mod:`~lib.repro.cache` — cache keys, lookup, commit;
* :mod:`~lib.repro.execute` — jobs, prerequisites, worker processes and their scheduling;
  :mod:`~lib.repro.worker` runs one notebook with papermill;
* :mod:`~lib.repro.hooks` — prerequisites registered by science modules;
* :mod:`~lib.repro.book` — staging the site and rendering it; :mod:`~lib.repro.pages` the page header,
  gallery and scoreboard; :mod:`~lib.repro.libpages` the library's reference pages;
* :mod:`~lib.repro.cli` — the ``repro`` command; :mod:`~lib.repro.bench` — ``repro bench``;
* :mod:`~lib.repro.snapshots` — the committed verdict snapshots, ``repro accept`` and ``repro diff``, and
  which notebooks nbval re-executes; :mod:`~lib.repro.drift` — ``repro drift``, the verdicts under another
  lockfile;
* :mod:`~lib.repro.log` — its one voice.
"""
