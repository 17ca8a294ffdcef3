from services.gateway.routes import READERS, Route

ROUTES = [
    Route("POST", "/tokens", "gateway", "issue_token", ("office",), 201,
          "Issue a token to a person {name, role, scope}"),
    Route("DELETE", "/tokens/<person>", "gateway", "revoke_token", ("office",), 200,
          "Revoke every token of a person"),
    Route("GET", "/whoami", "gateway", "whoami", READERS + ("respondent", "operator"), 200,
          "The person behind the token"),
]
