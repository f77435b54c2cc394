"""Serve: ``output/`` over HTTP to feed readers, with correct caching (RFC 9110/9111).

Takes the output folder and each feed's max-age. Gives out HTTP responses: ETag, Last-Modified, gzip, 304s,
through one ASGI app (:mod:`.asgi`) under uvicorn (:mod:`.server`); the caching core (:mod:`.app`) is a plain
function of method, path and headers, so it is tested without a server.
"""
