from services.gateway.routes import READERS, Route

ROUTES = [
    Route("POST", "/units", "units", "register_unit", ("office",), 201,
          "Register a unit {name, org_type, batch}", "services.units.schemas:RegisterUnitSchema"),
    Route("GET", "/units", "units", "list_units", READERS, 200, "Units, filtered by the caller's scope"),
    Route("GET", "/units/<unit>", "units", "get_unit", READERS, 200,
          "One unit: phase, deadlines, group, flags"),
]
