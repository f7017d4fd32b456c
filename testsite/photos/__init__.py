"""The photo site (`SiteSpec()`, the default profile): pages of text and photos, every trap.

It has `SiteSpec.pages` pages under `/`, `/docs/`, `/blog/2024/`, `/shop/` and a few at the
top level, each with 8-12 links spelled every way a real site spells them: relative,
root-relative, absolute with the request's own origin, upper-case scheme and host, with
#fragments, './' and '../' segments, percent-encoded, and one page resolving against
`<base href="/docs/">`. Pages show `SiteSpec.images` files under `/img/` with <img src>,
srcset (1x/2x and 640w/1280w) and <picture>, some from the second host name `localhost` as
a CDN: JPEG photos up to `max_megapixels` (greyscale, CMYK and EXIF-rotated ones too), PNG
with alpha (RGBA, LA) and 16-bit grey, palette GIF and WebP. catalog.py plans its images,
pages.py builds its link graph, render.py writes its HTML and painters.py draws its pictures.
"""
