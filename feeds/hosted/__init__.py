"""Hosted mode: many sources on many machines, with the state in PostgreSQL and work on procrastinate.

Takes a configuration whose state is a ``postgresql://`` URL. Gives out procrastinate jobs -- ``dispatch``
(which hosts have due sources), ``fetch`` (a shard of one host's claimed due sources, fetched and extracted, the
results stored) and ``render`` (merge and render one feed from the stored results) -- run by ``seedfeed worker``
on any number of machines. :mod:`.claims` leases due sources with a fencing epoch, :mod:`.fetching` is the fetch
job, :mod:`.harvests` the results between the two jobs, :mod:`.gate` keeps per-host politeness across every
worker, :mod:`.robots` one robots.txt per site for all of them, :mod:`.jobs` holds the tasks. See
docs/scaling.md.
"""
