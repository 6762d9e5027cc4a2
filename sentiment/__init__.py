"""Dutch sentiment: the base-model converter, the shipped model and its architecture, scoring (ONNX
Runtime or torch), training, evaluation data and the language gate.

May import: `core` only.
"""
