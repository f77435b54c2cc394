"""seedfeed: documents in folders or on the web become RSS 2.0, Atom 1.0 and JSON Feed.

Installed as the package ``seedfeed`` (this folder is ``feeds/`` in the source tree; ``scheduler/`` is installed
as ``seedfeed.scheduler``). The pipeline, stage by stage, is drawn in ``docs/architecture.md``.
"""

__version__ = "0.1.0"
