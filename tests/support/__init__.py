"""Helpers shared by several test folders (importable as ``support``: tests/conftest.py puts tests/ on sys.path)."""
