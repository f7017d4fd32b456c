"""`claims`: the rules of thumb in shared/CLAIMS.md, each tested by an experiment here."""
