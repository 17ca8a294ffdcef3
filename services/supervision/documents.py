"""The briefing (简报) as a Word document: the one export the supervision service makes."""
from __future__ import annotations

import io

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_CHINESE_NUMBERS = "一二三四五六七八九十"


def briefing_docx(briefing: dict, unit_names: dict, group_names: dict) -> bytes:
    """简报 as a Word document: title, period, sections in print order, each report with
    its unit, group and date."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = briefing["title"]
    document.add_heading(briefing["title"], level=0)
    document.add_paragraph(f"期间：{briefing['period_from']} 至 {briefing['period_to']}　"
                           f"编发日期：{briefing['compiled_on']}")
    for number, section in enumerate(briefing["sections"], start=1):
        document.add_heading(f"{_CHINESE_NUMBERS[number - 1]}、{section['label']}", level=1)
        for item in section["items"]:
            heading = document.add_heading(item["title"] + ("（急）" if item.get("urgent") else ""),
                                           level=2)
            heading.style.font.size = Pt(14)
            unit = unit_names.get(item["unit_id"]) or item["unit_id"]
            group = group_names.get(item["group_id"]) or item["group_id"]
            meta = document.add_paragraph(f"{unit}　{group}　{item['date']}")
            meta.runs[0].italic = True
            for paragraph in (item.get("body") or "").split("\n"):
                if paragraph.strip():
                    document.add_paragraph(paragraph.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
