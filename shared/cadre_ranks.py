"""Cadre ranks (职级) a supervision group member may hold: checked by the supervision
service, offered by the gateway's dashboard forms."""
from __future__ import annotations

# Cadre ranks (职级) a group member may hold.
RANKS = {
    "county": "县级",
    "section": "正科级",
    "deputy_section": "副科级",
    "staff": "科员",
    "clerk": "办事员",
}
