"""HTTP and HTML: fetch pages and images, find links, decide what is in scope.

Nothing here knows which concurrency model runs it: the asyncio crawl and its
synchronous twin share every rule (normalisation, scope, robots, retries, parsing).
"""
