"""The public, read-only HTTP API: guides, sections, audio and sync.

The URL map is ``config/api.py``; the README's "API" section describes it.
Modules, in the order a request meets them: ``cors`` (django-cors-headers,
on the usual middleware stack), ``base`` (the one DRF base view: parameters,
``throttling``, errors and conditional GET from ``http``), ``views``,
``snapshot`` (the cached, precomputed documents and the sync log), ``state``
(has anything changed?) with ``dependencies`` (what the documents are made
of, and how a change to each is noticed; ``signals`` connects from it),
``documents`` (pages → documents, with ``cms.translations`` for languages
and ``audio`` for renditions), ``serializers``
(the allow-list of what leaves the building, and the schema), ``schema``
(OpenAPI and the human docs), ``errors`` (JSON 404/400/500 outside our views).
"""
