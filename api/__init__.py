"""The JSON API: thin FastAPI routers over core's functions, with response models from core's shapes.

May import: `core` only (`newsroom.app` mounts the routers).
"""
