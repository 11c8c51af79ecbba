"""Typed keys for what the aiohttp application holds."""
from aiohttp import web

from federation.runtime import Runtime
from inbox.intake import Intake

RUNTIME = web.AppKey("runtime", Runtime)
# Where the inbox stores what it accepts, in batches (inbox.intake).
INTAKE = web.AppKey("inbox_intake", Intake)
