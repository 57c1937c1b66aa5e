"""flask-smorest's ``Api`` with RFC 9457 errors: use this one in every service.

flask-smorest registers its own HTTPException handler when the Api is
initialised; this subclass answers those errors as problem+json instead, so
the order of ``Api(app)`` and :func:`docbox_shared.frame.init_app` never matters.
"""

from __future__ import annotations

import http

import flask_smorest
from flask_smorest.spec import prepare_response
from marshmallow import Schema, fields

from .problems import PROBLEM_JSON, _from_http_exception


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of every Doc Box service is answered."""

    type = fields.String(metadata={"description": "Stable URI of the kind of problem."})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), metadata={"description": "Messages by field, for validation errors."})


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return _from_http_exception(error)

    def _register_responses(self):
        """Document error responses as application/problem+json (flask-smorest says application/json)."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def api_config(title: str, version: str = "1") -> dict:
    """Flask config for an Api serving its OpenAPI document at /api/v1/openapi.json."""
    return {
        "API_TITLE": title,
        "API_VERSION": version,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
