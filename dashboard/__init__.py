"""The wall (narrowcasting screen) and the public privacy page: routes, Jinja2 templates, static assets.

May import: `core` only (`newsroom.app` mounts the routes).
"""
