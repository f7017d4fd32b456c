"""The docs site (`SiteSpec(profile="docs")`): a software manual, as Sphinx lays one out.

Every page shows the same menu of up to 120 links, a breadcrumb and previous and next links;
two listings (/genindex-all.html, /contents.html) pass 1 MB; the images are mostly small PNG
screenshots (RGB, RGBA, palette with and without a clear index, a few greyscale), some JPEGs,
and icons shown on every page, sized as a real manual's are. It keeps the photo site's
robots.txt, /private/ and /hidden/ pages and link spellings. catalog.py plans its images,
pages.py lays out the manual, render.py writes its HTML and painters.py draws its pictures.
"""
