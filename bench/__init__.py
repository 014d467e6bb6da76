"""Benchmarks that print figures (a table and one JSON line each); they are not tests."""
