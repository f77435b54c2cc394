"""seedfeed: documents in folders or on the web become RSS 2.0, Atom 1.0 and JSON Feed."""

__version__ = "0.1.0"
