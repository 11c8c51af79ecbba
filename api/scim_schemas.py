"""What the SCIM service says about itself (RFC 7643 §5-7): its configuration, the resource types it
serves and the schema of each, listing only the attributes this node keeps."""
from __future__ import annotations

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MAX_RESULTS = 200


def _attribute(name: str, kind: str = "string", *, required: bool = False, multi: bool = False,
               mutability: str = "readWrite", uniqueness: str = "none", description: str = "",
               sub: list[dict] | None = None, canonical: list[str] | None = None,
               references: list[str] | None = None) -> dict:
    out = {"name": name, "type": kind, "multiValued": multi, "description": description or name,
           "required": required, "mutability": mutability, "returned": "default", "uniqueness": uniqueness}
    if kind in ("string", "reference"):
        out["caseExact"] = False
    if sub is not None:
        out["subAttributes"] = sub
    if canonical is not None:
        out["canonicalValues"] = canonical
    if references is not None:
        out["referenceTypes"] = references
    return out


USER_ATTRIBUTES = [
    _attribute("userName", required=True, uniqueness="server",
               description="The directory's name for the user; the account's handle is made from it once."),
    _attribute("displayName", description="The name shown on the profile."),
    _attribute("emails", "complex", multi=True, description="E-mail addresses; the primary one signs in.", sub=[
        _attribute("value", description="The address."),
        _attribute("type", canonical=["work", "home", "other"], description="work, home or other."),
        _attribute("primary", "boolean", description="The address used to sign in."),
    ]),
    _attribute("active", "boolean", description="false: the user cannot sign in and every token is revoked."),
]
GROUP_ATTRIBUTES = [
    _attribute("displayName", required=True, uniqueness="server",
               description="The group's name; the one named by scim_admin_group or scim_moderator_group gives "
                           "its members that role."),
    _attribute("members", "complex", multi=True, description="The users in the group.", sub=[
        _attribute("value", mutability="immutable", description="The user's id."),
        _attribute("$ref", "reference", mutability="immutable", references=["User"], description="The user's URL."),
        _attribute("type", mutability="readOnly", canonical=["User"], description="User: groups hold users."),
    ]),
]


def schemas(base: str) -> list[dict]:
    return [
        {"schemas": [SCHEMA], "id": USER, "name": "User", "description": "A person with an account here",
         "attributes": USER_ATTRIBUTES, "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{USER}"}},
        {"schemas": [SCHEMA], "id": GROUP, "name": "Group",
         "description": "A group of users; some groups give their members a role",
         "attributes": GROUP_ATTRIBUTES, "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{GROUP}"}},
    ]


def resource_types(base: str) -> list[dict]:
    return [
        {"schemas": [RESOURCE_TYPE], "id": "User", "name": "User", "endpoint": "/Users",
         "description": "People", "schema": USER, "schemaExtensions": [],
         "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"}},
        {"schemas": [RESOURCE_TYPE], "id": "Group", "name": "Group", "endpoint": "/Groups",
         "description": "Groups of users", "schema": GROUP, "schemaExtensions": [],
         "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"}},
    ]


def service_provider_config(base: str, documentation: str) -> dict:
    return {
        "schemas": [CONFIG],
        "documentationUri": documentation,
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token", "primary": True,
            "description": "A token made with `backchannel scim token create`, sent as Authorization: Bearer",
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    }
