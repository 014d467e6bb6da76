"""Recommendations from an operator's catalog: import and checks now; the ranker, explanations and the persona's pitch
build on it."""
