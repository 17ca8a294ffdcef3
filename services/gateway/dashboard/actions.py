"""Dashboard actions declared as data: forms derived from the /api/v1 route's request schema.

An ``Action`` names the route it submits to (found by ``(service, rpc)`` among
``routes.all_routes()``), a Chinese title and a Chinese label per field; ``form_fields``
reads the route's marshmallow schema and derives one input per field the person fills
(the path's fields come from the page, as hidden inputs):

    String -> text (or textarea)   Integer -> number   Date -> date   Boolean -> checkbox
    OneOf  -> select               List(String) -> checkboxes when its choices are known,
                                                   else a textarea, one item a line
    Dict(keys=OneOf) -> one input per key (a fieldset; its inputs named ``field.key``)
    Nested -> a fieldset of the nested schema's inputs (``field.sub``)
    List(Nested) -> a few rows of such fieldsets (``field.0.sub``; blank rows are left out)

``coerce`` turns a submitted form back into the schema's types (what the JSON body of the
API route would carry); the schema itself still decides, in the service, exactly as for
the API. ``field_messages`` puts a refusal's marshmallow details beside their inputs.
No framework here beyond marshmallow: the views do the HTTP."""
from __future__ import annotations

import dataclasses
import functools
import importlib
import re

from marshmallow import fields as mf
from marshmallow import validate

from services.gateway.dashboard import refusals_zh
from services.gateway.routes import Route, all_routes


@dataclasses.dataclass(frozen=True)
class Label:
    """A field's Chinese label, optional help text, and Chinese names of its choices
    (value -> label). ``choices_from`` names a source of choices the page supplies
    (members of the unit, its sections...); ``textarea`` asks for a multi-line box."""
    text: str
    help: str = ""
    choices: tuple = ()          # ((value, label), ...)
    choices_from: str | None = None
    textarea: bool = False
    parts: tuple = ()            # a Dict's keys or a Nested's fields: ((key, Label | str), ...)
    rows: int = 3                # how many rows a List(Nested) offers
    omit: tuple = ()             # a Nested's optional fields not offered (left to their defaults)

    def part(self, key: str) -> "Label":
        found = dict(self.parts).get(key, key)
        return found if isinstance(found, Label) else Label(found)


@dataclasses.dataclass(frozen=True)
class Action:
    name: str                    # the form's name, unique: /dashboard/act/<name>
    service: str
    rpc: str
    title: str
    labels: dict = dataclasses.field(hash=False, compare=False)  # field -> Label | str
    pages: tuple = ()            # the page endpoints that show it ("unit", "group", ...)
    # an RPC field (a path variable's field or a body field) -> what fills it: "page:<arg>"
    # (the page's path argument, a hidden input) or "choice:<source>" (a select the person
    # picks from); path fields not named here are taken from the page's argument of their name
    given: dict = dataclasses.field(default_factory=dict, hash=False, compare=False)
    confirm: str | None = None   # a confirm step's message ("please check…")
    confirm_label: str | None = None  # the confirm tick's own label (else 确认（confirm）)
    # a required choice with one option is picked already; False where a wrong pick cannot be
    # undone (an erasure): the person picks
    preselect: bool = True
    submit: str = "提交"
    omit: tuple = ()             # schema fields not offered (left to their defaults)
    context: str | None = None   # read-only facts shown above the form (workbench.context)
    # the roles offered the form, when fewer than the route's (None: the route's): a route
    # several roles share, where a role may take only part of it (督办: the office sends to a
    # unit or a group, a supervisor to its own units only, each through its own form)
    roles: tuple | None = None
    # offered only when there is something to pick in these fields' choices (a unit with no
    # directive waiting is not offered an empty answer form)
    needs: tuple = ()
    # the unit phases the form is for (labels.PHASES codes; none: any phase): the unit page lists
    # the current phase's forms first; every form is still offered (gates are the services' job)
    phases: tuple = ()

    @property
    def route(self) -> Route:
        return route_for(self.service, self.rpc)

    def label(self, name: str) -> Label:
        found = self.labels.get(name, name)
        return found if isinstance(found, Label) else Label(found)


@dataclasses.dataclass(frozen=True)
class FormField:
    name: str
    kind: str                    # text | textarea | number | decimal | date | checkbox | select |
    #                              checkboxes | lines | file | dict | group | rows
    label: str
    required: bool = False
    help: str = ""
    choices: tuple = ()          # ((value, label), ...)
    choices_from: str | None = None
    allow_none: bool = False
    parts: tuple = ()            # dict | group | rows: the inner inputs (rows: one group a row)
    low: int | float | None = None   # a number's range, from the schema's Range
    high: int | float | None = None

    @property
    def key(self) -> str:
        """The body key the input fills within its parent (the last part of its name)."""
        return self.name.rpartition(".")[2]

    def names(self):
        """This input's name and every inner input's, depth first."""
        yield self.name
        for p in self.parts:
            yield from p.names()


class NotDerivable(ValueError):
    """A schema field the dashboard cannot offer as an input (nested objects)."""


@functools.lru_cache(maxsize=None)
def _routes() -> dict:
    """(service, rpc) -> its route; the first when several forward to one RPC."""
    found: dict = {}
    for r in all_routes():
        found.setdefault((r.service, r.rpc), r)
    return found


def route_for(service: str, rpc: str) -> Route:
    try:
        return _routes()[(service, rpc)]
    except KeyError:
        raise LookupError(f"no /api/v1 route forwards to {service}.{rpc}") from None


def schema_class(route: Route):
    if not route.schema:
        return None
    module, _, name = route.schema.partition(":")
    return getattr(importlib.import_module(module), name)


def _one_of(field) -> tuple | None:
    for v in getattr(field, "validators", ()) or ():
        if isinstance(v, validate.OneOf):
            return tuple(v.choices)
    return None


def _max_length(field) -> int | None:
    for v in getattr(field, "validators", ()) or ():
        if isinstance(v, validate.Length) and v.max is not None:
            return v.max
    return None


def _range(field) -> tuple:
    for v in getattr(field, "validators", ()) or ():
        if isinstance(v, validate.Range):
            return v.min, v.max
    return None, None


def _schema_fields(nested) -> dict:
    schema = nested.schema
    return schema.fields if hasattr(schema, "fields") else {}


def _inner(prefix: str, schema_fields: dict, label: Label) -> tuple:
    return tuple(derive(f"{prefix}.{sub}", f, label.part(sub))
                 for sub, f in schema_fields.items()
                 if not f.dump_only and not (sub in label.omit and not f.required))


def _labelled(values, label: Label) -> tuple:
    names = dict(label.choices)
    return tuple((v, names.get(v, str(v))) for v in values)


def derive(name: str, field, label: Label) -> FormField:
    common = {"name": name, "label": label.text, "required": bool(field.required), "help": label.help,
              "allow_none": bool(field.allow_none)}
    if isinstance(field, mf.Boolean):
        return FormField(kind="checkbox", **{**common, "required": False})
    if isinstance(field, mf.Integer):
        low, high = _range(field)
        return FormField(kind="number", low=low, high=high, **common)
    if isinstance(field, mf.Float):
        low, high = _range(field)
        return FormField(kind="decimal", low=low, high=high, **common)
    if isinstance(field, mf.Dict):
        keys = _one_of(field.key_field) if field.key_field is not None else None
        if keys is None or field.value_field is None:
            raise NotDerivable(f"{name}: a Dict whose keys are not a known list")
        parts = tuple(dataclasses.replace(derive(f"{name}.{k}", field.value_field, label.part(k)),
                                          required=bool(field.required))
                      for k in keys)
        return FormField(kind="dict", parts=parts, **common)
    if isinstance(field, mf.Nested):
        if field.many:
            raise NotDerivable(f"{name}: a Nested(many=True) field")
        return FormField(kind="group", parts=_inner(name, _schema_fields(field), label), **common)
    if isinstance(field, mf.Date):
        return FormField(kind="date", **common)
    if isinstance(field, mf.List):
        inner = field.inner
        if isinstance(inner, mf.Nested):
            rows = tuple(FormField(name=f"{name}.{i}", kind="group", label=f"第 {i + 1} 项",
                                   parts=_inner(f"{name}.{i}", _schema_fields(inner), label))
                         for i in range(label.rows))
            return FormField(kind="rows", parts=rows, **common)
        if not isinstance(inner, mf.String):
            raise NotDerivable(f"{name}: a list of {type(inner).__name__}")
        values = _one_of(inner)
        if (label.choices_from or "").startswith("upload:"):  # files uploaded, their ids sent
            return FormField(kind="file", choices_from=label.choices_from, **common)
        if values is not None:
            return FormField(kind="checkboxes", choices=_labelled(values, label), **common)
        if label.choices or label.choices_from:
            return FormField(kind="checkboxes", choices=label.choices, choices_from=label.choices_from,
                             **common)
        return FormField(kind="lines", **common)
    if isinstance(field, mf.String):
        values = _one_of(field)
        if values is not None:
            return FormField(kind="select", choices=_labelled(values, label), **common)
        if label.choices or label.choices_from:
            return FormField(kind="select", choices=label.choices, choices_from=label.choices_from,
                             **common)
        long = label.textarea or (_max_length(field) or 0) > 1000
        return FormField(kind="textarea" if long else "text", **common)
    raise NotDerivable(f"{name}: a {type(field).__name__} field")


@functools.lru_cache(maxsize=None)
def form_fields(action: Action) -> tuple[FormField, ...]:
    """The inputs of the action's form, in the schema's order, without the fields the
    path gives (those come from the page) and without those the action omits."""
    route = action.route
    cls = schema_class(route)
    if cls is None:  # a gateway route answered by the gateway itself: the labels are the fields
        return tuple(_gateway_field(name, action.label(name)) for name in action.labels)
    hidden = {field for _, field in route.args} | set(action.given)
    chosen = {f for f, source in action.given.items() if source.startswith("choice:")}
    out = []
    for name, field in cls().fields.items():
        if (name in hidden and name not in chosen) or name in action.omit or field.dump_only:
            continue
        out.append(derive(name, field, action.label(name)))
    return tuple(out)


def _gateway_field(name: str, label: Label) -> FormField:
    if label.choices or label.choices_from:
        return FormField(name, "select", label.text, True, label.help, label.choices, label.choices_from)
    return FormField(name, "text", label.text, True, label.help)


# ------------------------------------------------------------------ form -> body
MESSAGES = {
    "Missing data for required field.": "此项必填",
    "Not a valid integer.": "请填写整数",
    "Not a valid date.": "请填写日期",
    "Not a valid string.": "请填写文字",
    "Not a valid boolean.": "请勾选或不勾选",
    "Field may not be null.": "此项必填",
    "Unknown field.": "不认识的项",
    "Must be one of:": "请从列表中选择",
    "Shorter than minimum length": "此项不能为空",
    "Longer than maximum length": "内容过长",
    # the gateway's schema and handlers' refusals (the domain's are in refusals_zh)
    "period_to is before period_from": "截止日期早于起始日期",
    "an exemplary person needs a name": "典型人物须填写姓名",
    "no member '": "没有这名党员（编号有误）",
}


RANGE = re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+?)\.?$")


def chinese(message: str) -> str:
    """A marshmallow message, or a service's domain refusal (refusals_zh), in Chinese where it
    is one the dashboard knows; else as the service said."""
    within = RANGE.match(message)
    if within:
        return f"应在 {within.group(1)} 至 {within.group(2)} 之间"
    for english, text in MESSAGES.items():
        if message.startswith(english):
            return text
    return refusals_zh.translate(message) or message


def coerce(inputs: tuple[FormField, ...], form) -> tuple[dict, dict]:
    """The JSON body the form stands for, and the fields it could not even read
    (``{field: [message]}``, an inner input by its dotted name). ``form`` is a werkzeug
    MultiDict (getlist)."""
    body, problems = {}, {}
    for f in inputs:
        _coerce_one(f, form, body, problems, f.name)
    return body, problems


def _blank(value) -> bool:
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return value in (None, "", False)


def _coerce_one(f: FormField, form, body: dict, problems: dict, key: str) -> None:
    raw = form.get(f.name)
    if f.kind == "file":
        return  # the view uploads the file and puts its id in the body
    if f.kind in ("dict", "group"):
        inner, found = {}, {}
        for p in f.parts:
            _coerce_one(p, form, inner, found, p.key)
        found = {p.name: found[p.key] for p in f.parts if p.key in found} | \
            {k: v for k, v in found.items() if "." in k}
        if f.kind == "group" and not f.required and _blank(inner) and \
                all(m == ["此项必填"] for m in found.values()):
            return  # an optional part left blank is not sent
        if f.kind == "dict":
            inner = {k: v for k, v in inner.items() if v not in (None, "")}
        problems.update(found)
        if inner or f.required:
            body[key] = inner
        return
    if f.kind == "rows":
        items = []
        for row in f.parts:
            one, found = {}, {}
            _coerce_one(dataclasses.replace(row, required=False), form, one, found, "row")
            problems.update(found)
            if "row" in one:
                items.append(one["row"])
        if items or f.required:
            body[key] = items
        return
    if f.kind == "checkbox":
        body[key] = raw in ("on", "true", "1", "yes")
    elif f.kind == "checkboxes":
        picked = [v for v in form.getlist(f.name) if v != ""]
        if picked or f.required:
            body[key] = picked
    elif f.kind == "lines":
        items = [line.strip() for line in (raw or "").splitlines() if line.strip()]
        if items or f.required:
            body[key] = items
    else:
        text = (raw or "").strip()
        if text == "":
            if f.allow_none and f.required:
                body[key] = None
            elif f.required:
                problems[key] = ["此项必填"]
            return
        if f.kind == "number":
            try:
                body[key] = int(text)
            except ValueError:
                problems[key] = ["请填写整数"]
        elif f.kind == "decimal":
            try:
                body[key] = float(text)
            except ValueError:
                problems[key] = ["请填写数字"]
        else:
            body[key] = text


def field_messages(details: dict | None, inputs: tuple[FormField, ...],
                   message: str | None = None) -> tuple[dict, list]:
    """A refusal's details as messages beside the inputs (``{field: [text]}``, an inner
    input of a dict or nested field by its dotted name: marshmallow's
    ``{"scores": {"x": {"value": [...]}}}`` goes beside ``scores.x``) and those that name
    no input (shown at the top of the form)."""
    names = {n for f in inputs for n in f.names()}
    beside, top = {}, []
    if isinstance(details, dict) and details and "fields" not in details:
        # a domain refusal: its details are facts ({"reply_by": "…", "today": "…"}), not
        # messages; its message goes beside the inputs they name (or stands at the top)
        named = [k for k in details if k in names] + [v for k, v in details.items()
                                                      if k == "field" and v in names]
        return ({n: [chinese(message)] for n in named}, []) if named and message else ({}, [])
    raw = (details or {}).get("fields", details or {})
    if not isinstance(raw, dict):
        return {}, [str(raw)]
    for path, text in _paths(raw, ()):
        segments = [str(s) for s in path if s not in ("value", "key")]
        target = next((".".join(segments[:n]) for n in range(len(segments), 0, -1)
                       if ".".join(segments[:n]) in names), None)
        if target is None:
            top.append(chinese(text))
        else:
            beside.setdefault(target, []).append(chinese(text))
    return beside, top


def _paths(messages, path: tuple):
    """(the path of keys, one message) of a nested marshmallow error dict."""
    if isinstance(messages, dict):
        for k, v in messages.items():
            yield from _paths(v, path + (k,))
    elif isinstance(messages, (list, tuple)):
        for v in messages:
            yield from _paths(v, path)
    else:
        yield path, str(messages)


def _flatten(messages) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [t for v in messages.values() for t in _flatten(v)]
    if isinstance(messages, (list, tuple)):
        return [t for v in messages for t in _flatten(v)]
    return [str(messages)]
