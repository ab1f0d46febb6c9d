"""The version of sohoa that every archive event names as its agent."""

__version__ = "0.1.0"
