"""Sources: find documents and bring in their raw bytes.

Takes the configured seed folders and URL sources. Gives out seed files found by a stat-only walk
(:mod:`.walk`), the documents read from new or changed files (:mod:`.seeds`, decoded by :mod:`.decode`), and the
documents of fetched pages and listings (:mod:`.web`, :mod:`.listing`) and of the entries of source feeds
(:mod:`.feed`, read by :mod:`.feedparse`), each as an ``Observed`` for the state.
"""
