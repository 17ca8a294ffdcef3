"""Where a unit solicits opinions (R23), shared by the evaluation service (which checks them)
and the gateway's dashboard forms (which offer them)."""
from __future__ import annotations

OPINION_SOURCES = {
    "departments": "部办委局",
    "townships": "乡镇",
    "frequent_visitors": "经常办事的群众",
}
