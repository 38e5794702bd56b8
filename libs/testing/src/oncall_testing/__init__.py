"""oncall_testing."""
