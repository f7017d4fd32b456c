"""`claims`: the rules of thumb a guide to Python concurrency teaches (claims.catalogue),
each tested on this machine by experiments here."""
