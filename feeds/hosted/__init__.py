"""Hosted mode: many sources on many machines, with the state in PostgreSQL and work on procrastinate.

Takes a configuration whose state is a ``postgresql://`` URL. Gives out procrastinate jobs -- ``dispatch``
(which feeds have due sources) and ``refresh`` (fetch a feed's claimed due sources, merge, render) -- run by
``seedfeed worker`` on any number of machines. :mod:`.claims` leases due sources with a fencing epoch,
:mod:`.gate` keeps per-host politeness across every worker, :mod:`.robots` one robots.txt per site for all of
them, :mod:`.jobs` holds the tasks. See docs/scaling.md.
"""
