"""The application: `create_app()` (the web app), the scheduler's jobs and tasks, the CLI, and the
container image's health check (`python -m newsroom.healthcheck`).

May import: every room; it is the one place where the rooms meet.
"""
