"""The JSON API shared by the programs (the roster); each program adds its own (``PROGRAM.api_blueprints``)."""

from .roster import blp as roster

BLUEPRINTS = [roster]
