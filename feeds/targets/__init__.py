"""Publish targets beyond the local output folder.

Takes a folder the pipeline wrote (``output/``, or a staging folder when ``--output`` is a URL). Gives out the
same files on an S3-compatible object store (:mod:`.s3`), uploaded so that a feed never links a page that is not
there yet.
"""
