"""One-off sessions and recurring series: the calendar entries organizers plan."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from .. import operations
from ..auth import PLANNERS, STAFF_ROLES, require_role
from ..models import OneOffSession, Series, db
from .schemas import SeriesEndIn, SeriesIn, SeriesOut, SeriesPatch, SessionIn, SessionOut, SessionPatch

sessions_blp = Blueprint("sessions", __name__, url_prefix="/api/v1/sessions", description="One-off sessions")
series_blp = Blueprint("series", __name__, url_prefix="/api/v1/series", description="Recurring series")


@sessions_blp.route("")
class Sessions(MethodView):
    @sessions_blp.response(200, SessionOut(many=True))
    def get(self):
        """List one-off sessions"""
        require_role(*STAFF_ROLES)
        return db.session.scalars(select(OneOffSession).order_by(OneOffSession.start_at)).all()

    @sessions_blp.arguments(SessionIn)
    @sessions_blp.response(201, SessionOut)
    def post(self, data):
        """Plan a one-off session"""
        require_role(*PLANNERS)
        session = operations.create_session(data)
        db.session.commit()
        return session


@sessions_blp.route("/<session_id>")
class SessionById(MethodView):
    @sessions_blp.response(200, SessionOut)
    def get(self, session_id):
        """Read a one-off session (move or cancel it through /occurrences/<id>)"""
        require_role(*STAFF_ROLES)
        return operations.get_session(session_id)

    @sessions_blp.arguments(SessionPatch)
    @sessions_blp.response(200, SessionOut)
    def patch(self, data, session_id):
        """Edit a one-off session's title, description, format, place, capacity or facilitators"""
        require_role(*PLANNERS)
        session = operations.update_session(operations.get_session(session_id), data)
        db.session.commit()
        return session

    @sessions_blp.response(204)
    def delete(self, session_id):
        """Delete a one-off session still ahead (409 once it has started or has attendance)

        Whoever was told of it is told of its cancellation: feeds keep it as cancelled,
        CalDAV calendars lose it, reminder subscribers who heard of it get a cancellation notice.
        """
        require_role(*PLANNERS)
        operations.delete_session(operations.get_session(session_id))
        db.session.commit()


@series_blp.route("")
class SeriesList(MethodView):
    @series_blp.response(200, SeriesOut(many=True))
    def get(self):
        """List series"""
        require_role(*STAFF_ROLES)
        return db.session.scalars(select(Series).order_by(Series.start_local)).all()

    @series_blp.arguments(SeriesIn)
    @series_blp.response(201, SeriesOut)
    def post(self, data):
        """Plan a recurring series"""
        require_role(*PLANNERS)
        series = operations.create_series(data)
        db.session.commit()
        return series


@series_blp.route("/<series_id>")
class SeriesById(MethodView):
    @series_blp.response(200, SeriesOut)
    def get(self, series_id):
        """Read a series with its exceptions"""
        require_role(*STAFF_ROLES)
        return operations.get_series(series_id)

    @series_blp.arguments(SeriesPatch)
    @series_blp.response(200, SeriesOut)
    def patch(self, data, series_id):
        """Edit a series from its next occurrence on

        If an occurrence has already started, the series is split: the answer is
        the new series that carries the edit (``continues_series_id`` names the
        old one, which now ends before the edited part).
        """
        require_role(*PLANNERS)
        series = operations.update_series(operations.get_series(series_id), data)
        db.session.commit()
        return series

    @series_blp.response(204)
    def delete(self, series_id):
        """Delete a series that has no recorded attendance (409 otherwise: end it from a date instead)

        Its occurrences reach subscribers as cancelled, as for a deleted session.
        """
        require_role(*PLANNERS)
        operations.delete_series(operations.get_series(series_id))
        db.session.commit()


@series_blp.route("/<series_id>/end")
class SeriesEnd(MethodView):
    @series_blp.arguments(SeriesEndIn)
    @series_blp.response(200, SeriesOut)
    def post(self, data, series_id):
        """End a series: no occurrence on or after the given local date"""
        require_role(*PLANNERS)
        series = operations.end_series(operations.get_series(series_id), data["on"])
        db.session.commit()
        return series
