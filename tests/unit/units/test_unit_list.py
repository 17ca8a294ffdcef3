"""The office's unit list import (issue 17), without a broker or database: the template's
lists, each row checked by single registration's schema and decision (the same messages),
names repeated in the file or already registered, and the import: every unit's new stream
appended in one go, or nothing (an event store refusal on any stream writes none)."""
from __future__ import annotations

import io
import itertools

import pytest
from openpyxl import load_workbook

from services.units import handlers as H
from services.units import schemas as S
from services.units import unit_list_workbook as W
from shared.domain import Forbidden, Rejected
from shared.eventstore import AppendRequest, ConcurrencyError
from shared.eventstore.memory import MemoryEventStore
from shared.service_kit.storage import StorageAccess
from tests.unit.units.helpers import OFFICE, UNIT

HEAD = ("单位名称", "党组织类型", "批次", "科室")


def row(name, org_type="党组", batch=1, sections=None) -> dict:
    return dict(zip(HEAD, (name, org_type, batch, sections)))


class Storage:
    """The handler's storage: the registered units' cards and the real ``execute_new`` over
    an in-memory event store."""

    def __init__(self, cards=()):
        self.cards = list(cards)
        self.store = MemoryEventStore("units")
        self.access = StorageAccess.__new__(StorageAccess)
        self.access.store, self.access.request, self.access._commands_run = self.store, None, 0

    def find(self, collection, query=None, sort=None, limit=0):
        assert collection == H.CARDS
        return self.cards

    def execute_new(self, *args, **kwargs):
        return self.access.execute_new(*args, **kwargs)


class Service:
    def __init__(self, cards=()):
        self.storage = Storage(cards)


def upload(rows, actor=OFFICE) -> S.Upload:
    ids = itertools.count()
    return S.Upload(actor=actor, unit_id=None, data=W.rows_workbook(rows),
                    new_id=lambda prefix: f"{prefix}-{next(ids):012x}")


def test_the_template_offers_org_types_and_batches_as_lists_under_a_frozen_header():
    wb = load_workbook(io.BytesIO(W.template_bytes()))
    ws = wb[W.SHEET]
    assert [c.value for c in ws[1]] == list(HEAD)
    assert ws.freeze_panes == "A2"
    formulas = {str(v.sqref): v.formula1 for v in ws.data_validations.dataValidation}
    assert formulas["B2:B2001"] == '"党委,党组,党支部"'
    assert formulas["C2:C2001"] == '"1,2,3"'
    assert "D2:D2001" not in formulas                          # sections are free text
    assert "填写说明" in wb.sheetnames


def test_cells_are_read_as_single_registration_takes_them():
    rows, ignored = W.read_rows(W.rows_workbook([row("县财政局", "党组", 2, "办公室、预算科，国库科")]))
    assert rows == [(2, {"name": "县财政局", "org_type": "党组", "batch": 2,
                         "sections": ["办公室", "预算科", "国库科"]})]
    assert ignored == []
    text_batch, _ = W.read_rows(W.rows_workbook([row("县水利局", batch="3")]))
    assert text_batch[0][1]["batch"] == 3


def test_every_bad_row_is_named_by_row_and_column_and_nothing_is_registered():
    service = Service(cards=[{"unit_id": "u-old", "name": "县委办公室"}])
    rows = [row("县财政局", sections="办公室"), row(None), row("县水利局", "党小组"),
            row("县教育局", batch=4), row("县交通局", batch="二"), row("县财政局"),
            row("县委办公室"), row("县卫生局", sections="办公室、办公室"), row("县" * 201)]
    preview = H.preview_unit_list(service, upload(rows), OFFICE)
    found = {(p["row"], p["column"], p["code"]) for p in preview["problems"]}
    assert found == {(3, "name", "missing"), (4, "org_type", "not_a_choice"), (5, "batch", "not_a_batch"),
                     (6, "batch", "not_a_batch"), (7, "name", "duplicate_row"), (8, "name", "duplicate_unit"),
                     (9, "sections", "repeated"), (10, "name", "too_long")}
    assert preview["bad_rows"] == [3, 4, 5, 6, 7, 8, 9, 10] and preview["would_register"] == 0
    assert {p["column_label"] for p in preview["problems"] if p["row"] == 4} == {"党组织类型"}
    by_row = {p["row"]: p for p in preview["problems"]}
    assert by_row[7]["other_row"] == 2
    # the very messages single registration answers
    with pytest.raises(Exception) as single:
        S.RegisterUnitSchema().load({"name": "县教育局", "org_type": "党组", "batch": 4})
    assert by_row[5]["message"] == single.value.messages["batch"][0]

    with pytest.raises(Rejected) as refused:
        H.import_unit_list(service, upload(rows), OFFICE)
    assert refused.value.details["bad_rows"] == preview["bad_rows"]
    assert "nothing was registered" in refused.value.message
    assert service.storage.store.head()["position"] == 0


def test_a_good_list_registers_every_unit_each_on_its_own_stream():
    service = Service()
    rows = [row("县财政局", "党组", 1, "办公室、预算科"), row("县水利局", "党支部", 3)]
    preview = H.preview_unit_list(service, upload(rows), OFFICE)
    assert preview["problems"] == [] and preview["would_register"] == 2
    done = H.import_unit_list(service, upload(rows), OFFICE)
    assert done["registered"] == 2 and len(set(done["unit_ids"])) == 2
    log = service.storage.store.events_since(0)
    assert [(e["type"], e["stream_id"], e["version"]) for e in log] == [
        ("UnitRegistered", f"unit-{done['unit_ids'][0]}", 1), ("UnitRegistered", f"unit-{done['unit_ids'][1]}", 1)]
    assert log[0]["payload"]["sections"] == ["办公室", "预算科"] and log[1]["payload"]["batch"] == 3


def test_only_the_office_registers_a_list():
    with pytest.raises(Forbidden):
        H.preview_unit_list(Service(), upload([row("县财政局")], actor=UNIT), UNIT)
    with pytest.raises(Forbidden):
        H.unit_list_template(Service(), {}, UNIT)


def test_a_list_without_the_header_or_over_the_row_cap_or_empty_is_refused():
    from services.units.import_workbook import rows_workbook
    from services.units.roster_workbook import ROSTER
    with pytest.raises(Rejected, match="header; missing 单位名称, 党组织类型, 批次"):
        W.read_rows(rows_workbook(ROSTER, [{"姓名": "张三"}]))
    with pytest.raises(Rejected, match="more than 2 units"):
        W.read_rows(W.rows_workbook([row(f"单位{i}") for i in range(3)]), max_rows=2)
    with pytest.raises(Rejected, match="no unit rows"):
        W.read_rows(W.rows_workbook([]))


def test_append_all_writes_every_stream_or_none():
    store = MemoryEventStore("units")
    store.append("unit-b", 0, [_event("b")], actor={"id": "x"})
    with pytest.raises(ConcurrencyError):      # unit-b exists: the whole batch is refused
        store.append_all([AppendRequest("unit-a", 0, [_event("a")], {"id": "x"}),
                          AppendRequest("unit-b", 0, [_event("b2")], {"id": "x"})])
    assert store.read_stream("unit-a") == [] and store.head()["position"] == 1
    written = store.append_all([AppendRequest("unit-a", 0, [_event("a")], {"id": "x"}),
                                AppendRequest("unit-c", 0, [_event("c")], {"id": "x"})])
    assert [envs[0]["stream_id"] for envs in written] == ["unit-a", "unit-c"]
    assert [e["position"] for e in store.events_since(0)] == [1, 2, 3]


def _event(name):
    from shared.eventstore import NewEvent
    return NewEvent("Marked", {"name": name})


def test_a_retry_with_the_same_key_answers_the_first_import_and_registers_nothing_twice():
    from shared.edge import IdempotentRequest
    service = Service()
    rows = [row("县财政局"), row("县水利局", batch=2)]

    def attempt():
        request = IdempotentRequest("import_unit_list", {"f": 1}, OFFICE, "key-1")
        service.storage.access.request, service.storage.access._commands_run = request, 0
        return H.import_unit_list(service, S.Upload(actor=OFFICE, unit_id=None, data=W.rows_workbook(rows),
                                                    new_id=request.new_id), OFFICE)
    first = attempt()
    service.storage.cards = [{"unit_id": u, "name": n} for u, n in zip(first["unit_ids"], ("县财政局", "县水利局"))]
    assert attempt() == first
    assert service.storage.store.head()["position"] == 2
