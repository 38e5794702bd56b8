"""Running the whole system locally as separate processes: shared by `make run`, `make demo`, the
end-to-end tests and `make bench`.

A workspace package (tools/localsystem) so that its callers import it like any other library.
"""
