"""Sign in, sign out, and the start page each role lands on."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for

from docbox_shared.pages import FormState
from docbox_shared.problems import TooManyRequests

from ..auth import PLANNERS
from .login import LoginRefused, remember, sign_in, sign_out
from .sso import password_login_enabled, sso_enabled


def home():
    role = g.staff.role
    if role is None:  # outreach only (or no role at all): a way to outreach, nothing else
        outreach_url = current_app.config["OUTREACH_URL"].rstrip("/") + "/" if g.staff.outreach_role else None
        return render_template("sessions/outreach_only.html", outreach_url=outreach_url)
    if role in PLANNERS:
        return redirect(url_for("pages.upcoming"))
    if role == "facilitator":
        return redirect(url_for("pages.my_sessions"))
    return redirect(url_for("pages.stats"))


def login():
    from .blueprint import safe_next
    next_path = safe_next(request.values.get("next", ""))
    if g.get("staff") is not None and request.method == "GET":
        return redirect(next_path or url_for("pages.home"))
    form = FormState({"email": request.form.get("email", ""), "next": next_path or ""})
    status, headers = 200, {}
    passwords = password_login_enabled()
    if request.method == "POST" and not passwords:
        form.add("_form", "Sign in with single sign-on: passwords are switched off here.")
        status = 403
    elif request.method == "POST":
        email, password = request.form.get("email", "").strip(), request.form.get("password", "")
        if not email:
            form.add("email", "Enter your email address.")
        if not password:
            form.add("password", "Enter your password.")
        if not form.has_errors:
            try:
                staff = sign_in(email, password, request.remote_addr or "")
            except TooManyRequests as exc:
                form.add("_form", exc.detail)
                status, headers = 429, exc.headers
            except LoginRefused:
                form.add("password", "The email address or the password is not right.")
                status = 401
            else:
                remember(staff)
                flash(f"Signed in as {staff.email}.", "success")
                return redirect(next_path or url_for("pages.home"))
        else:
            status = 422
    return render_template("sessions/login.html", form=form, passwords=passwords, sso=sso_enabled()), status, headers


def logout():
    if request.method == "GET":  # the other services' "Sign out" links: a form here, with its CSRF token
        return render_template("sessions/logout.html")
    sign_out()
    flash("You are signed out.", "success")
    return redirect(url_for("pages.login"))
