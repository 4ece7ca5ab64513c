"""saltline: Salt states tested in throw-away containerized minions, then promoted."""

__version__ = "0.1.0"
