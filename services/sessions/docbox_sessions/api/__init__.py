"""The JSON API under /api/v1: one flask-smorest blueprint per resource."""

from . import admin, calendar, exports, occurrences, programs, staff, stats

BLUEPRINTS = (programs.blp, calendar.sessions_blp, calendar.series_blp, occurrences.blp, exports.blp, stats.blp, admin.blp, staff.blp)
