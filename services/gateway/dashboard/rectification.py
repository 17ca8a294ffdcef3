"""The county's rectification ledgers (整改台账) on the dashboard: problems by category, the
sign-off rate, overdue measures by group, and each unit's figures linking to its page. The
data is the units service's ``rectification_county`` read, scoped as ``GET
/api/v1/rectification`` is (the office and auditors: the county; a supervisor: its group's units)."""
from __future__ import annotations

from services.gateway.dashboard import labels as L

PREFIX = "/dashboard"


def page_context(view, person) -> dict:
    """What templates/rectification.html renders, from the county read (``view.fetch``)."""
    data = view.fetch(person, "units", "rectification_county")
    from services.gateway.dashboard.views import PageError
    try:
        groups = {g["group_id"]: g["name"] for g in view.fetch(person, "supervision", "list_groups")}
    except PageError:  # a reader without the groups list sees the groups' ids
        groups = {}
    categories = data["by_category"]
    category_chart = {
        "data": [{"type": "bar", "orientation": "h", "name": "问题数",
                  "y": [SHORT.get(c["category"], c["label"]) for c in categories],
                  "x": [c["problems"] for c in categories]}],
        "layout": {"xaxis": {"title": {"text": "问题数"}, "tickformat": "d", "rangemode": "tozero"},
                   "yaxis": {"automargin": True},
                   "margin": {"l": 10}}}
    overdue = data["overdue_by_group"]
    group_chart = {
        "data": [{"type": "bar", "name": "逾期措施",
                  "x": [groups.get(g["group_id"], g["group_id"] or "未分配督导组") for g in overdue],
                  "y": [g["overdue"] for g in overdue], "marker": {"color": "#c0392b"}}],
        "layout": {"yaxis": {"title": {"text": "逾期措施数"}, "dtick": 1}}}
    rate = data.get("sign_off_rate")
    units = [{**u, "group": groups.get(u["group_id"], u["group_id"] or "—"), "phase_label": L.phase(u["phase"])}
             for u in data["units"]]
    return {"title": "整改台账", "data": data, "totals": data["totals"], "units": units,
            "rate": None if rate is None else f"{rate * 100:.0f}%",
            "charts": {"category": category_chart, "groups": group_chart},
            "download": PREFIX + "/rectification.xlsx"}


# the 二看 categories, short enough for a chart's axis on a phone (the table and Excel say them in full)
SHORT = {"members_and_organisations": "党员和党组织", "party_and_government_style": "党风政风行风",
         "reform_development_stability": "改革发展稳定", "livelihood": "群众生产生活",
         "internal_management": "内部管理"}
