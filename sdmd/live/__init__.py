"""Live: progress streams of long operations, log and stats streams, pushed state, actions, terminals.

Nothing is imported here on purpose: sdmd/docker and the update worker import `sdmd.live.progress`,
which must stay free of FastAPI and database imports.
"""
