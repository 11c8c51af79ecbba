"""Every entity the client API answers with (https://docs.joinmastodon.org/entities/) is built here,
one module per family, one naming style: `<entity>_entity(...)` builds one, `<entity>_entities(...)`
builds a page in a fixed number of queries whatever its length.

Builders that need the database take the open connection first; what the viewer sees is decided
here once for every endpoint: a status the viewer may not see now (models.statuses.visible_to) is
left out, and the filter context (home, notifications, public, thread, account, or None) is a
parameter the endpoint passes, never request state.
"""
