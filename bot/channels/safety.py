"""Input safety shared by the routes: typed rejections, size-capped bodies, entity-free XML, strict JSON."""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl
from xml.parsers import expat

from flask import Request, jsonify
from werkzeug.exceptions import RequestEntityTooLarge

MAX_BODY = 64 * 1024


class Rejected(Exception):
    """A request we refuse, with the HTTP status and a Chinese reason for the caller."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def rejection_response(err: Rejected):
    """The JSON error body every channel route returns."""
    return jsonify(error=err.reason), err.status


def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, refused when larger than ``limit`` bytes."""
    environ = request.environ
    length = environ.get("CONTENT_LENGTH", "")
    if length.isdigit():
        # The common case read straight from the WSGI stream: werkzeug's wrapping of it cost a tenth of a callback.
        if int(length) > limit:
            raise Rejected(413, f"请求体过大（上限 {limit // 1024} KiB）")
        return environ["wsgi.input"].read(int(length))
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise Rejected(413, f"请求体过大（上限 {limit // 1024} KiB）") from None
    if len(data) > limit:
        raise Rejected(413, f"请求体过大（上限 {limit // 1024} KiB）")
    return data


def query_fields(environ: dict) -> dict[str, str]:
    """The query string as a plain dict (a repeated name keeps its last value), cheaper than werkzeug's MultiDict."""
    return dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))


_DTD_REFUSED = "拒绝处理含 DOCTYPE 或实体声明的 XML"


def _refuse_dtd(*_args) -> None:
    raise Rejected(400, _DTD_REFUSED)


def parse_xml_fields(body: bytes) -> dict[str, str]:
    """The root's direct children as a flat dict of their text; DOCTYPEs and entities are refused, never expanded."""
    # pyexpat's handlers directly rather than an ElementTree: a callback body is a handful of flat fields, and
    # building the tree (ElementTree runs Python code per event) made each parse twice as slow. The result is what
    # {child.tag: child.text or "" for child in root} gave: a child's text ends at its first sub-element, whose own
    # text (and what follows it) is not the child's; a repeated tag keeps its last value.
    if not body.strip():
        raise Rejected(400, "请求体为空")
    fields: dict[str, str] = {}
    parts: list[str] = []
    depth = 0
    collecting = False

    def start(name, _attrs):
        nonlocal depth, collecting
        depth += 1
        if depth == 2:
            parts.clear()
            collecting = True
        elif depth == 3:
            collecting = False

    def end(name):
        nonlocal depth, collecting
        if depth == 2:
            # Namespaced names read as ElementTree writes them: "{uri}local".
            fields["{" + name if "}" in name else name] = "".join(parts)
            collecting = False
        depth -= 1

    def data(text):
        if collecting:
            parts.append(text)

    parser = expat.ParserCreate(None, "}")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    # Any DTD is refused where it starts, so no entity can be declared, let alone expanded or fetched; the other
    # handlers and the parameter-entity setting are the second lock on the same door.
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.UnparsedEntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(body, True)
    except (expat.ExpatError, ValueError, LookupError):
        # ValueError: a multi-byte encoding in the declaration; LookupError: an encoding Python does not know.
        raise Rejected(400, "XML 格式错误或不完整") from None
    return fields


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Parse a UTF-8 JSON object strictly; anything else is a 400 with the reason."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "请求体不是合法的 UTF-8") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Rejected(400, "JSON 格式错误或不完整") from None
    if not isinstance(data, dict):
        raise Rejected(400, "JSON 顶层应为对象")
    return data


# Characters XML 1.0 cannot carry at all, not even inside CDATA.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata(text: str) -> str:
    """Wrap text in CDATA, splitting any ``]]>`` so it cannot close the section early."""
    text = _NOT_XML.sub("", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def clean_text(value: Any, limit: int = 4000) -> str:
    """A user text field as a string: type-checked, stripped of NULs, length-capped."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Rejected(400, "消息内容应为文本")
    return value.replace("\x00", "")[:limit]
