"""The JSON API under /api/v1: one flask-smorest blueprint per resource."""

from . import deliveries, subscribers

BLUEPRINTS = (subscribers.blp, deliveries.blp)
