"""Alerts to where people work: new alerts from the store delivered by e-mail and webhooks.

A room of its own (newsroom.jobs schedules it), like the newsletter: it is an
output, not an analytics query, and it talks to the outside world (SMTP, HTTP).

May import: `core` only.
"""
