"""The run folder: its record files and digest, the timeline, resume, and the summary."""
