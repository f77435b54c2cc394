"""Render: items become bytes, one pure function per output format.

Takes a feed's :class:`~.base.FeedMeta` and its newest ``Item`` records. Gives out the bytes of ``rss.xml`` and
``atom.xml`` (:mod:`.xml_feeds`), ``feed.json`` (:mod:`.json_feed`), item pages, the feed's page and the site
pages (overview, OPML), and RFC 5005 archive documents with the links chaining them (:mod:`.archive`).
Nothing here writes files: the pipeline hands the bytes to :mod:`seedfeed.publish`.
"""
