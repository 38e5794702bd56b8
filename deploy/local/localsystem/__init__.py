"""Running the whole system locally as separate processes: shared by `make run`, `make demo`, the
end-to-end tests and `make bench`.

This folder is not a workspace package (applications are run, never imported); callers put
`deploy/local` on `sys.path` and import `localsystem`.
"""
