from services.gateway.routes import ALL_ROLES, READERS, Route
from services.gateway.routes.shapes import ID, STR, document, nullable, one_of, record
from services.gateway.tokens import ISSUABLE_ROLES, NAME_MAX, SCOPE_MAX

PERSON = record(id=ID, name=STR, role=one_of(*ALL_ROLES), scope=nullable(STR))
# the grant's types (services/gateway/tokens.py validate_grant checks the rest: a scope of
# the shape its role takes, of a unit, group or survey that exists)
GRANT = {"type": "object", "required": ["name", "role"], "additionalProperties": False,
         "properties": {"name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
                        "role": one_of(*ISSUABLE_ROLES),
                        "scope": nullable({"type": "string", "maxLength": SCOPE_MAX})}}

ROUTES = [
    Route("POST", "/tokens", "gateway", "issue_token", ("office",), 201,
          "Issue a token to a person {name, role, scope}", body=GRANT,
          result=record(token=STR, person_id=ID, name=STR, role=one_of(*ISSUABLE_ROLES),
                        scope=nullable(STR))),
    Route("DELETE", "/tokens/<person>", "gateway", "revoke_token", ("office",), 200,
          "Revoke every token of a person", result=record(revoked=STR)),
    Route("GET", "/whoami", "gateway", "whoami", READERS + ("respondent", "operator"), 200,
          "The person behind the token", result=document(id=ID, name=STR, role=STR, scope=nullable(STR))),
]
