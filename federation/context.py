"""The JSON-LD `@context` of the documents this node serves.

Apart from federation.jsonld, which needs pyld (and pyld pulls in `requests`): serving documents
needs only this list, and a node that never expands a document does not carry pyld's ~10 MB.
"""
from __future__ import annotations

AS_CONTEXT: list = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "memorial": "toot:memorial",
        "suspended": "toot:suspended",
        "Emoji": "toot:Emoji",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@id": "toot:focalPoint", "@container": "@list"},
        "votersCount": "toot:votersCount",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        # Quote posts (FEP-044f) and the compatibility properties other servers read
        "quote": {"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
        "quoteUri": "http://fedibird.com/ns#quoteUri",
        "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
        "quoteAuthorization": {"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
        "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
        "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
        "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
        "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
        "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
        "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
        "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
        # A hashtag chat's Event says anyone may RSVP, as Mobilizon writes it
        "mz": "https://joinmobilizon.org/ns#",
        "joinMode": "mz:joinMode",
    },
]
"""The ``@context`` Backchannel puts on the documents it serves."""

# An actor that lists its object-integrity key (FEP-8b32: a Multikey under `assertionMethod`), as
# Fedify and Mitra write it.
ACTOR_CONTEXT: list = [*AS_CONTEXT[:2], "https://w3id.org/security/data-integrity/v1", "https://www.w3.org/ns/did/v1",
                       "https://w3id.org/security/multikey/v1", AS_CONTEXT[2]]
