"""Fuzz targets for every parser that faces the network (docs/fuzzing.md).

Each target is a plain function of one input (bytes, text or a JSON value) that raises
`FuzzFailure` (or any unexpected exception) when the code under test misbehaves. The
`test_*.py` modules run them briefly under pytest; `scripts/fuzz` runs them long.
"""
