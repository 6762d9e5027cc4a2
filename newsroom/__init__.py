"""The application: `create_app()` (the web app), the scheduler's jobs and tasks, and the CLI.

May import: every room; it is the one place where the rooms meet.
"""
