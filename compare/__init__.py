"""compare: the same work under several models, each run in a fresh child process."""
