"""Typed keys for what the aiohttp application holds."""
from aiohttp import web

from backchannel.runtime import Runtime

RUNTIME = web.AppKey("runtime", Runtime)
