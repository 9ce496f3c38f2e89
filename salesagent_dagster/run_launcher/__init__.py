"""Run workers forked from a warm process instead of started as a fresh Python.

`ForkingRunLauncher` (`forking.py`) is the launcher dagster.yaml names; `zygote.py` is the
warm process it starts per code location; `worker.py` is what a forked child does (Dagster's
own `dagster api execute_run` body); `zygote_client.py` is the launcher's end of the pipe;
`worker_identity.py` is how a worker's pid is recorded and found again. This package imports
nothing else of ours: it is infrastructure under Dagster, not part of the product's layers.
"""
