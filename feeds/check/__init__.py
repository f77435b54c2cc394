"""Check: lint what is published and compare it with what the last build replaced.

Takes the output folder (and the previous versions kept in the state folder). Gives out problems, one line each:
spec violations (:mod:`.lint`, with the small rules in :mod:`.rules`), re-minted ids (:mod:`.command`) and
broken, gapped or duplicated RFC 5005 archive chains (:mod:`.archives`).
"""
