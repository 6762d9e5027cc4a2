"""Configuration: typed settings from the environment (`settings`), the watch configuration's model and
loader (`watch`) and the file that the API edits and the processes watch (`file`).

May import: the root modules of `core` (none at present); nothing else of ours.
"""
