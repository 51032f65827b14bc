"""Periodic jobs: a registry, a runner that records each run, and an APScheduler service
that runs them only while this process holds the leader lock."""
