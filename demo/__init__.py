"""`newsroom demo`: the whole application, offline, against a local replay server with invented posts.

server.py serves every source kind on 127.0.0.1 (feeds.py, mastodon.py, bluesky.py, discourse.py,
reddit.py, forum.py), publishing corpus.py's posts (written from texts.py) over time; launch.py
prepares the store, the configuration (demo.toml) and the settings around it.

May import: `core` only (`newsroom demo` starts it; the demo never imports the application).
"""
from .launch import DemoError, demo_config, quicken, start_demo
from .server import ReplayServer

__all__ = ["DemoError", "ReplayServer", "demo_config", "quicken", "start_demo"]
