"""Pytest fixtures shared by every test suite of the project (loaded as `-p oncall_testing.plugin`)."""
