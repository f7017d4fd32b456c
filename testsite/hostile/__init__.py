"""The hostile site (`python pipeline.py serve --hostile`): what real crawls meet, each trap
with the outcome a crawler must record.

Its home page links to every trap: malformed and non-UTF-8 HTML, gzip, an enormous page, a
body cut off, a server that never answers or trickles, unfetchable and malformed links, an
endless calendar, redirect chains, loops and escapes, 404/500/429/503, broken and exotic
images, and URLs that try to name files outside the run folder. It shares nothing with the
photo and docs sites: it is hand-written, not generated from a seed. pages.py and catalog.py
say what each page and image must give, painters.py makes the image files, handlers.py
answers each path and app.py serves it all.
"""
