"""The concurrency models (asyncio, threads, processes, sequential, and dask for the stages a
cluster can run) and the stage runner that feeds any stage to any of them. Nothing above
this package knows how a model works."""
