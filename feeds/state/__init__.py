"""State: what seedfeed remembers between runs, and the identity rules that decide what changed.

Takes the documents observed this run. Gives out ``Item`` records with ids assigned once (:mod:`.merge`) and
keeps them, with source health and ETags, in one SQLite file (:mod:`.store`), committed per feed before the
feed's files are written. :mod:`.archives` decides, once per item, which RFC 5005 archive page holds it.
"""
