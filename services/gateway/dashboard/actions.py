"""Dashboard actions declared as data: forms derived from the /api/v1 route's request schema.

An ``Action`` names the route it submits to (found by ``(service, rpc)`` among
``routes.all_routes()``), a Chinese title and a Chinese label per field; ``form_fields``
reads the route's marshmallow schema and derives one input per field the person fills
(the path's fields come from the page, as hidden inputs):

    String -> text (or textarea)   Integer -> number   Date -> date   Boolean -> checkbox
    OneOf  -> select               List(String) -> checkboxes when its choices are known,
                                                   else a textarea, one item a line

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
    submit: str = "提交"
    omit: tuple = ()             # schema fields not offered (left to their defaults)

    @property
    def route(self) -> Route:
        return route_for(self.service, self.rpc)

    def label(self, name: str) -> Label:
        found = self.labels.get(name, name)
        return found if isinstance(found, Label) else Label(found)


@dataclasses.dataclass(frozen=True)
class FormField:
    name: str
    kind: str                    # text | textarea | number | date | checkbox | select | checkboxes | lines
    label: str
    required: bool = False
    help: str = ""
    choices: tuple = ()          # ((value, label), ...)
    choices_from: str | None = None
    allow_none: bool = False
    columns: tuple = ()          # rows: ((field, ((label, value), ...)), ...), a line's columns in order


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


def _labelled(values, label: Label) -> tuple:
    names = dict(label.choices)
    return tuple((v, names.get(v, str(v))) for v in values)


def derive(name: str, field, label: Label) -> FormField:
    common = {"name": name, "label": label.text, "required": bool(field.required), "help": label.help,
              "allow_none": bool(field.allow_none)}
    if isinstance(field, mf.Boolean):
        return FormField(kind="checkbox", **{**common, "required": False})
    if isinstance(field, mf.Integer):
        return FormField(kind="number", **common)
    if isinstance(field, mf.Float):
        return FormField(kind="decimal", **common)
    if isinstance(field, mf.Date):
        return FormField(kind="date", **common)
    if isinstance(field, mf.List):
        inner = field.inner
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
        if isinstance(field, mf.Nested):  # one input per field of the object: "leader.name"
            for sub, inner in _nested(action, name, field):
                f = derive(f"{name}.{sub}", inner, action.label(f"{name}.{sub}"))
                out.append(dataclasses.replace(f, required=f.required and bool(field.required)))
            continue
        if isinstance(field, mf.List) and isinstance(field.inner, mf.Nested):  # one object a line
            label = action.label(name)
            columns = tuple((sub, tuple((text, v) for v, text in action.label(f"{name}.{sub}").choices))
                            for sub, _ in _nested(action, name, field.inner))
            out.append(FormField(name, "rows", label.text, bool(field.required), label.help,
                                 columns=columns))
            continue
        out.append(derive(name, field, action.label(name)))
    return tuple(out)


def _nested(action: Action, name: str, field) -> list:
    return [(sub, inner) for sub, inner in field.schema.fields.items()
            if f"{name}.{sub}" not in action.omit and not inner.dump_only]


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
}


def chinese(message: str) -> str:
    """A marshmallow message in Chinese where it is a standard one; else as the service said."""
    for english, text in MESSAGES.items():
        if message.startswith(english):
            return text
    return message


def coerce(inputs: tuple[FormField, ...], form) -> tuple[dict, dict]:
    """The JSON body the form stands for, and the fields it could not even read
    (``{field: [message]}``). ``form`` is a werkzeug MultiDict (getlist)."""
    body, problems = {}, {}
    for f in inputs:
        raw = form.get(f.name)
        if f.kind == "file":
            continue  # the view uploads the file and puts its id in the body
        if f.kind == "checkbox":
            body[f.name] = raw in ("on", "true", "1", "yes")
        elif f.kind == "checkboxes":
            picked = [v for v in form.getlist(f.name) if v != ""]
            if picked or f.required:
                body[f.name] = picked
        elif f.kind == "rows":
            rows = [_row(line, f.columns) for line in (raw or "").splitlines() if line.strip()]
            if rows or f.required:
                body[f.name] = rows
        elif f.kind == "lines":
            items = [line.strip() for line in (raw or "").splitlines() if line.strip()]
            if items or f.required:
                body[f.name] = items
        else:
            text = (raw or "").strip()
            if text == "":
                if f.allow_none and f.required:
                    body[f.name] = None
                elif f.required:
                    problems[f.name] = ["此项必填"]
                continue
            if f.kind == "number":
                try:
                    body[f.name] = int(text)
                except ValueError:
                    problems[f.name] = ["请填写整数"]
            elif f.kind == "decimal":
                try:
                    body[f.name] = float(text)
                except ValueError:
                    problems[f.name] = ["请填写数字"]
            else:
                body[f.name] = text
    for name in [n for n in body if "." in n]:  # "leader.name" -> {"leader": {"name": ...}}
        outer, _, inner = name.partition(".")
        body.setdefault(outer, {})[inner] = body.pop(name)
    return body, problems


def _row(line: str, columns: tuple) -> dict:
    """One line of a rows input as an object: its columns split at commas (or tabs), a
    column's Chinese choice label read as its value; the schema judges the rest."""
    cells = [c.strip() for c in re.split(r"[，,\t]", line)]
    return {name: dict(names).get(cell, cell) for (name, names), cell in zip(columns, cells) if cell}


def field_messages(details: dict | None, inputs: tuple[FormField, ...]) -> tuple[dict, list]:
    """A refusal's details as messages beside the inputs (``{field: [text]}``) and those
    that name no input (shown at the top of the form)."""
    names = {f.name for f in inputs}
    beside, top = {}, []
    raw = (details or {}).get("fields", details or {})
    if not isinstance(raw, dict):
        return {}, [str(raw)]
    for name, messages in raw.items():
        texts = _flatten(messages)
        if name in names:
            beside[name] = [chinese(t) for t in texts]
        else:
            top.extend(chinese(t) for t in texts)
    return beside, top


def _flatten(messages) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [t for v in messages.values() for t in _flatten(v)]
    if isinstance(messages, (list, tuple)):
        return [t for v in messages for t in _flatten(v)]
    return [str(messages)]
