"""Files and pixels: save originals, make thumbnails. No HTTP, no concurrency model.

Every function here takes and returns plain, picklable records, so any model
(the event loop, a thread pool, a process pool) can run it unchanged.
"""
