"""Shared library of the replication book.

Modules by concern (see README, "Architecture"): ``claims`` (verdicts), ``profile`` (timing, memory,
environment), ``plot`` (house style), ``runner``/``cli`` (the ``repro`` command), and the kernels, models
and simulators the paper notebooks share. Import the submodule you need; this package imports nothing
heavy on its own.
"""
