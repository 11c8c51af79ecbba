"""Backchannel: a federated micro-blog server for organisations."""

__version__ = "0.1.0"
