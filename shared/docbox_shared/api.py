"""flask-smorest's ``Api`` with RFC 9457 errors: use this one in every service.

flask-smorest registers its own HTTPException handler when the Api is
initialised; this subclass answers those errors as problem+json instead, so
the order of ``Api(app)`` and :func:`docbox_shared.web.init_app` never matters.
"""

from __future__ import annotations

import flask_smorest

from .problems import _from_http_exception


class Api(flask_smorest.Api):
    def handle_http_exception(self, error):
        return _from_http_exception(error)


def api_config(title: str, version: str = "1") -> dict:
    """Flask config for an Api serving its OpenAPI document at /api/v1/openapi.json."""
    return {
        "API_TITLE": title,
        "API_VERSION": version,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
