"""`make bench`: generate scale data, measure the pages, exports and writes, write docs/benchmarks.md.

`python -m bench --help` lists the options. The orchestrator (bench.run) never imports Django:
each measurement runs in its own subprocess (bench.worker) with the database chosen through the
environment, exactly as the app reads it, so SQLite and PostgreSQL go through the same code.
"""
