"""Programs: create, edit, find. Each change publishes the program's event."""

from __future__ import annotations

import re

from sqlalchemy import select

from docbox_shared.problems import Conflict, ValidationProblem

from ..domain.places import place_errors
from ..models import Program, db
from .checks import _check_header_text, _check_zone, _lookup
from .states import _publish


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "program"


def create_program(data: dict) -> Program:
    _check_header_text(data)
    _check_zone(data["timezone"])
    data.setdefault("slug", _slugify(data["name"]))
    _check_program_defaults(data)
    if db.session.scalar(select(Program).where(Program.slug == data["slug"])):
        raise Conflict(f"A program with slug {data['slug']!r} exists already.", errors={"slug": ["Already taken."]})
    program = Program(**data)
    db.session.add(program)
    _publish("program", program, new=True)
    return program


def update_program(program: Program, data: dict) -> Program:
    _check_header_text(data)
    if "timezone" in data:
        _check_zone(data["timezone"])
    if "slug" in data and data["slug"] != program.slug and db.session.scalar(select(Program).where(Program.slug == data["slug"])):
        raise Conflict(f"A program with slug {data['slug']!r} exists already.", errors={"slug": ["Already taken."]})
    merged = {k: getattr(program, k) for k in ("default_format", "default_location", "default_video_url")} | data
    _check_program_defaults(merged)
    if all(getattr(program, k) == v for k, v in data.items()):
        return program
    for key, value in data.items():
        setattr(program, key, value)
    _publish("program", program)
    return program


def _check_program_defaults(data: dict) -> None:
    video = data.get("default_video_url")
    if video:
        errors = place_errors("virtual", None, video)
        if errors:
            raise ValidationProblem("The default video link is not valid.", errors={"default_video_url": errors["video_url"]})


def get_program(program_id: str) -> Program:
    return _lookup(Program, program_id, "program")
