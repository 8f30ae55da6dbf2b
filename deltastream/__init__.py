"""DeltaStream: real-time option analytics as an async modular monolith."""

__version__ = "0.1.0"
