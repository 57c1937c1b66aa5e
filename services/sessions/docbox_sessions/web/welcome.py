"""Pages reached without being signed in: "forgot your password" and the emailed staff links.

"Forgot your password" answers the same words, status and (nearly) time
whether or not the address belongs to anyone, so it cannot tell a stranger
who works here. A staff link (:mod:`..staff_admin`) opens a page to set a
password: an invitation's first one, or a new one after a reset. Opening the
link changes nothing (mail scanners open links); only sending the form uses
it, and then it is spent. With single sign-on the invitation page also
offers the institution's sign-in, and with passwords switched off only that.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from docbox_shared.pages import FormState

from .. import staff_admin
from ..models import db
from .login import remember
from .passwords import hash_password, password_problem
from .sso import password_login_enabled, sso_enabled


def forgot_password():
    form = FormState({"email": request.form.get("email", "")})
    if not password_login_enabled():
        return render_template("sessions/forgot.html", form=form, passwords=False), 404
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        if not email or "@" not in email or len(email) > 254:
            form.add("email", "Enter your email address, like name@hospital.org.")
            return render_template("sessions/forgot.html", form=form, passwords=True), 422
        staff = staff_admin.active_staff_by_email(email)
        if staff is not None and not staff_admin.recent_reset(staff):
            staff_admin.mail_link(staff, staff_admin.RESET)
            db.session.commit()
        return render_template("sessions/forgot_sent.html", email=email)
    return render_template("sessions/forgot.html", form=form, passwords=True)


def _dead_link():
    return render_template("sessions/link_dead.html", passwords=password_login_enabled()), 404


def staff_link(token: str):
    link = staff_admin.open_link(token)
    if link is None:
        return _dead_link()
    staff, passwords = link.staff, password_login_enabled()
    form = FormState()
    status = 200
    if request.method == "POST" and passwords:
        password, repeat = request.form.get("password", ""), request.form.get("password_repeat", "")
        problem = password_problem(password)
        if problem:
            form.add("password", problem)
        elif password != repeat:
            form.add("password_repeat", "The two passwords are not the same.")
        if form.has_errors:
            status = 422
        else:
            staff.set_password_hash(hash_password(password))
            staff_admin.use_link(link)
            remember(staff)  # commits
            flash(f"Password set. Signed in as {staff.email}.", "success")
            return redirect(url_for("pages.home"))
    return render_template("sessions/link.html", link=link, invitee=staff, form=form, passwords=passwords,
                           sso=sso_enabled(), token=token), status
