"""Doc Box outreach: the one-on-one outreach network and case-based peer support.

Only the pure rules exist so far (:mod:`docbox_outreach.domain`); the Flask
app, its models and migrations are built on the shared kit once it holds the
app frame, clock, tokens, outbox and mail delivery (issue 11).
"""
