"""The public, read-only HTTP API: guides, sections, audio and sync.

The URL map is ``config/api.py``; the README's "API" section describes it.
Modules, in the order a request meets them: ``middleware`` (CORS, headers,
JSON 500s, the direct call of our endpoints), ``endpoints`` and ``views``
(parameters, throttling, conditional GET — ``http``), ``snapshot`` (the
cached, precomputed documents and the sync log), ``state`` (has anything
changed?), ``documents`` (pages → documents, with ``translations`` for
languages), ``serializers`` (the allow-list of what leaves the building, and
the schema), ``schema`` (OpenAPI and the human docs). Audio parts are in
``audio.api``.
"""
