"""Typed settings and the only place defaults live.

One module per stage (``config.io``, ``config.demo``, ``config.features``, ``config.t2``,
``config.analysis``, ...). Code elsewhere takes its defaults from here, never from scattered
``kwargs.get`` calls.
"""
