"""Programs: a named group of sessions with its zone and defaults."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from .. import operations
from ..auth import PLANNERS, STAFF_ROLES, require_role
from ..models import Program, db
from .schemas import ProgramIn, ProgramOut, ProgramPatch

blp = Blueprint("programs", __name__, url_prefix="/api/v1/programs", description="Programs")


@blp.route("")
class Programs(MethodView):
    @blp.response(200, ProgramOut(many=True))
    def get(self):
        """List programs"""
        require_role(*STAFF_ROLES)
        return db.session.scalars(select(Program).order_by(Program.name)).all()

    @blp.arguments(ProgramIn)
    @blp.response(201, ProgramOut)
    def post(self, data):
        """Create a program"""
        require_role(*PLANNERS)
        program = operations.create_program(data)
        db.session.commit()
        return program


@blp.route("/<program_id>")
class ProgramById(MethodView):
    @blp.response(200, ProgramOut)
    def get(self, program_id):
        """Read a program"""
        require_role(*STAFF_ROLES)
        return operations.get_program(program_id)

    @blp.arguments(ProgramPatch(partial=True))
    @blp.response(200, ProgramOut)
    def patch(self, data, program_id):
        """Change a program"""
        require_role(*PLANNERS)
        program = operations.update_program(operations.get_program(program_id), data)
        db.session.commit()
        return program
