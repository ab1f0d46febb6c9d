"""Generators of scans with known truth: the sample dossier (`make demo`, tests) and the labelled evaluation set
(`bench/classify_eval.py`). They depend on `schemas` only."""
