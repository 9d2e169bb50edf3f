"""Check HTTP requests and responses against the vendors' own published specs in ../shared/specs/.

Connector tests use it to prove that what a client sends is what the vendor documents; the sandbox's contract
tests use it to prove that what the sandbox answers is what the vendor documents.

API (every function loads and caches its spec once per process; YAML is parsed with the C loader when present):

    specs_dir() -> Path | None
        ../shared/specs/ next to the repository root, or None when it is not there.
    require_specs() -> Path
        The same directory, or pytest.skip() with the reason (call it from a fixture or test).

    request_errors(vendor, method, url, *, query=None, body=None, headers=None, check_security=False) -> list[str]
    validate_request(vendor, method, url, ...same...) -> None          raises SpecViolation listing every problem
        vendor: "hubspot", "stripe", "intercom", "asana" (OpenAPI 3 via openapi-core), "slack" (Swagger 2
        chat.postMessage parameters), "sheets" (Google discovery document), "quickbooks" (entity body against
        Intuit's XSD; the query/cdc/token URLs are checked for the documented parameters).
        url: a real path ("/crm/v3/objects/contacts"), a sandbox URL ("http://127.0.0.1:8765/hubspot/crm/...") or
        a real URL; its query string is merged with `query` (a mapping, or a list of pairs for repeated keys).
        body: dict/list (sent as JSON), str or bytes. headers: as sent; security schemes are only checked when
        check_security=True, because most connector tests care about parameters and bodies.

    response_errors(vendor, method, url, status, body, *, query=None, headers=None) -> list[str]
    validate_response(vendor, method, url, status, body, ...same...) -> None
        The response body (dict or JSON text) against the operation's documented response for `status`.

    component_errors(vendor, component, instance) -> list[str]
        An instance against one schema component of an OpenAPI spec, e.g. ("stripe", "customer", {...}).
    quickbooks_errors(data, element="IntuitResponse") -> list[str]
        A QuickBooks JSON document (a whole response, or one entity with element="Customer"/"Invoice") rendered
        as the XML it stands for and validated against IntuitRestServiceDef.xsd.

How the specs are read: exactly as published, except that `nullable` counts wherever the vendor wrote it (beside
$ref, in allOf, on enums), HubSpot's "*/*" error responses are JSON, and Stripe's deepObject parameters
(`created[gt]`, `types[]`) are checked here because openapi-core 0.23 cannot deserialise them. The specs are
stricter than the APIs in places: HubSpot's search request schema requires filterGroups, sorts, properties, limit
and after, so a conforming search body sends all five.

Example, in a connector test::

    from customer_hub_tests.contracts.spec_validation import require_specs, validate_request

    def test_search_request_matches_spec():
        require_specs()
        validate_request("hubspot", "POST", "/crm/v3/objects/contacts/search", body=connector.search_body(...))
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
import xmlschema
import yaml
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from customer_hub.sandbox.ids import TOOL_PATHS

REPO_ROOT = Path(__file__).resolve().parents[2]
SANDBOX_PREFIXES = TOOL_PATHS  # where each tool lives under a sandbox URL
OPENAPI_FILES = {
    "stripe": ("stripe/spec3.2022-04-12.json",),
    "intercom": ("intercom/api.intercom.io.2.16.yaml",),
    "asana": ("asana/asana_oas.yaml",),
    # The generic objects spec covers /crm/v3/objects/{objectType}; the per-object files are more specific. It
    # stays last: unmatched paths and component_errors() fall back to it.
    "hubspot": (
        "hubspot/CRM_Contacts_v3_contacts.json",
        "hubspot/CRM_Companies_v3_companies.json",
        "hubspot/CRM_Deals_v3_deals.json",
        "hubspot/CRM_Associations_v3_associations.json",
        "hubspot/CRM_Associations_v4_associations.json",
        "hubspot/CRM_Objects_v3_objects.json",
    ),
}
QUICKBOOKS_NAMESPACE = "http://schema.intuit.com/finance/v3"
QUICKBOOKS_PARAMETERS = {
    "query": {"query", "minorversion"},
    "cdc": {"entities", "changedSince", "minorversion"},
    "create": {"requestid", "minorversion", "operation", "include"},
}
Query = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class SpecViolation(AssertionError):
    """A request or response that does not match the vendor's spec; the message lists every problem."""


def specs_dir() -> Path | None:
    """../shared/specs/ beside the repository, if present."""
    candidate = REPO_ROOT.parent / "shared" / "specs"
    return candidate if candidate.is_dir() else None


def require_specs() -> Path:
    """The specs directory, or skip the calling test with the reason."""
    found = specs_dir()
    if found is None:
        pytest.skip(
            f"vendor specs not found at {REPO_ROOT.parent / 'shared' / 'specs'} (they live beside the "
            "repository, not in it)"
        )
    return found


def _spec_path(relative: str) -> Path:
    return require_specs() / relative


def _string_keys(value: Any) -> Any:
    """YAML turns response codes into ints; OpenAPI wants strings."""
    if isinstance(value, dict):
        return {str(key): _string_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_string_keys(item) for item in value]
    return value


@cache
def load_document(relative: str) -> dict[str, Any]:
    """A spec file under the specs directory, parsed once (JSON, or YAML with the C loader if available)."""
    path = _spec_path(relative)
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return _string_keys(yaml.load(handle, Loader=loader))  # noqa: S506 - a safe loader


def _honour_nullable(node: Any) -> Any:
    """The spec with `nullable` meaning what its authors meant, wherever they wrote it.

    The vendors mark optional objects as nullable in ways a strict OpenAPI 3.0 validator ignores: beside a $ref
    (Intercom), on anyOf without a type and on enums without null (Stripe), inside allOf (Asana). Their APIs do
    answer null there, so null is added as an explicit alternative. Media type "*/*" (HubSpot errors) is JSON.
    """
    if isinstance(node, list):
        return [_honour_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _honour_nullable(value) for key, value in node.items()}
    content = node.get("content")
    if isinstance(content, dict) and list(content) == ["*/*"]:
        node["content"] = {"application/json": content["*/*"]}
    null = {"enum": [None]}
    members = node.get("allOf")
    if isinstance(members, list) and any(isinstance(m, dict) and m.get("nullable") for m in members):
        return {"anyOf": [{"allOf": members}, null]}
    if node.get("nullable") is not True:
        return node
    if "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    if "$ref" in node:
        return {"anyOf": [{"$ref": node["$ref"]}, null]}
    for keyword in ("anyOf", "oneOf"):
        if keyword in node and "type" not in node:
            node[keyword] = [*node[keyword], null]
    if "allOf" in node and "type" not in node:
        return {"anyOf": [{"allOf": node.pop("allOf")}, null]} | {k: v for k, v in node.items() if k != "nullable"}
    return node


def _without_deep_objects(document: dict[str, Any]) -> dict[str, Any]:
    """The spec minus deepObject query parameters, which `_deep_object_errors` validates instead."""
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    param for param in operation["parameters"] if param.get("style") != "deepObject"
                ]
    return document


@cache
def _openapi_document(relative: str) -> dict[str, Any]:
    return _without_deep_objects(_honour_nullable(load_document(relative)))


@cache
def _openapi(relative: str) -> OpenAPI:
    # The vendors' specs do not all pass strict spec validation (Intercom has an unresolved path parameter),
    # and checking a 4 MB spec costs seconds; requests and responses are still validated in full.
    return OpenAPI.from_dict(_openapi_document(relative), config=Config(spec_validator_cls=None))


def _server(document: dict[str, Any]) -> tuple[str, str]:
    parts = urlsplit(document["servers"][0]["url"])
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def _operation(relative: str, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """(path template, operation object) of the documented operation, or None."""
    document = load_document(relative)
    exact = document["paths"].get(path)
    if exact and method.lower() in exact:
        return path, exact[method.lower()]
    for template, item in document["paths"].items():
        if method.lower() in item and _template_regex(template).match(path):
            return template, item[method.lower()]
    return None


def _split_url(vendor: str, url: str, query: Query) -> tuple[str, list[tuple[str, str]]]:
    """The real API path (relative to the vendor's base URL) and the query as pairs."""
    parts = urlsplit(url)
    path = parts.path or "/"
    prefix = SANDBOX_PREFIXES[vendor]
    if path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    elif vendor == "asana" and path.startswith("/api/1.0/"):
        path = path[len("/api/1.0") :]
    elif vendor == "slack" and path.startswith("/api/"):
        path = path[len("/api") :]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if isinstance(query, Mapping):
        for key, value in query.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            pairs += [(key, _query_text(item)) for item in values]
    elif query:
        pairs += [(key, _query_text(value)) for key, value in query]
    return path, pairs


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence openapi-core's warnings about the vendors' specs (OAuth2 schemes, allowEmptyValue)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _describe(error: Exception) -> str:
    """An openapi-core error, listing the schema errors behind it with their JSON paths."""
    cause = error.__cause__
    details = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if not details:
        return f"{type(error).__name__}: {str(error)[:500]}" + (f" ({str(cause)[:300]})" if cause else "")
    lines = [f"{type(error).__name__}: does not match the documented schema"]
    for detail in details:
        lines += _leaf_errors(detail)
    return "\n".join(lines)


def _leaf_errors(error: Any, depth: int = 0) -> list[str]:
    """The innermost reasons of a jsonschema error (anyOf/oneOf failures nest their causes)."""
    if error.context and depth < 3:
        return [line for sub in error.context for line in _leaf_errors(sub, depth + 1)]
    return [f"  - at {error.json_path}: {str(error.message)[:300]}"]


def _hubspot_file(path: str) -> str:
    for relative in OPENAPI_FILES["hubspot"]:
        if _operation(relative, "get", path) or _operation(relative, "post", path):
            return relative
    return OPENAPI_FILES["hubspot"][-1]


def _openapi_file(vendor: str, path: str) -> str:
    return _hubspot_file(path) if vendor == "hubspot" else OPENAPI_FILES[vendor][0]


def _deep_object_errors(
    relative: str, method: str, path: str, pairs: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Stripe-style deepObject parameters (`created[gt]=...`, `types[]=...`), checked here.

    openapi-core 0.23 cannot deserialise them (it fails even when they are absent), so they are taken out of the
    spec it sees and validated against their documented schema here. Returns the other pairs and the problems.
    """
    found = _operation(relative, method, path)
    deep = {
        param["name"]: param
        for param in (found[1].get("parameters", []) if found else [])
        if param.get("in") == "query" and param.get("style") == "deepObject"
    }
    plain: list[tuple[str, str]] = []
    grouped: dict[str, Any] = {}
    errors = []
    for key, value in pairs:
        name, bracket, rest = key.partition("[")
        if name not in deep:
            if bracket:
                errors.append(f"query parameter {key!r} is not a documented deepObject parameter")
            else:
                plain.append((key, value))
            continue
        member = rest.rstrip("]")
        typed: Any = int(value) if value.lstrip("-").isdigit() else value
        if deep[name]["schema"].get("type") == "array":
            grouped.setdefault(name, []).append(value)
        elif not bracket:
            grouped[name] = typed
        else:
            grouped.setdefault(name, {})[member] = typed
    for name, value in grouped.items():
        validator = OAS30Validator(deep[name]["schema"])
        errors += [f"query parameter {name}: {error.message}" for error in validator.iter_errors(value)]
    return plain, errors


def _openapi_request_errors(
    vendor: str,
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    body: Any,
    headers: Mapping[str, str],
    check_security: bool,
) -> list[str]:
    relative = _openapi_file(vendor, path)
    document = load_document(relative)
    host, base_path = _server(document)
    pairs, errors = _deep_object_errors(relative, method, path, pairs)
    if not check_security:
        # openapi-core stops at a failed security check; a stand-in credential lets it go on to the parameters.
        headers = {"Authorization": "Bearer stand-in"} | dict(headers)
    content_type = headers.get("Content-Type", "application/json" if body is not None else "")
    request = MockRequest(
        host,
        method,
        base_path + path,
        args=pairs,
        headers=dict(headers),
        data=_body_bytes(body),
        content_type=content_type.split(";")[0],
    )
    with _quiet():
        return errors + [_describe(error) for error in _openapi(relative).iter_request_errors(request)]


def request_errors(
    vendor: str,
    method: str,
    url: str,
    *,
    query: Query = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    check_security: bool = False,
) -> list[str]:
    """Every way the request differs from the vendor's spec (empty when it conforms)."""
    path, pairs = _split_url(vendor, url, query)
    headers = dict(headers or {})
    if vendor in OPENAPI_FILES:
        return _openapi_request_errors(vendor, method, path, pairs, body, headers, check_security)
    if vendor == "slack":
        return _slack_request_errors(method, path, pairs, body, headers)
    if vendor == "sheets":
        return _sheets_request_errors(method, path, pairs)
    if vendor == "quickbooks":
        return _quickbooks_request_errors(method, path, pairs, body)
    raise ValueError(f"unknown vendor {vendor!r}")


def validate_request(
    vendor: str,
    method: str,
    url: str,
    *,
    query: Query = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    check_security: bool = False,
) -> None:
    """Raise SpecViolation unless the request matches the vendor's spec."""
    errors = request_errors(vendor, method, url, query=query, body=body, headers=headers, check_security=check_security)
    if errors:
        raise SpecViolation(f"{vendor} {method} {url} does not match the spec:\n" + "\n".join(errors))


def response_errors(
    vendor: str,
    method: str,
    url: str,
    status: int,
    body: Any,
    *,
    query: Query = None,
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """Every way a response body differs from the vendor's documented response (empty when it conforms)."""
    path, pairs = _split_url(vendor, url, query)
    data = body if isinstance(body, (dict, list)) else json.loads(body)
    if vendor in OPENAPI_FILES:
        relative = _openapi_file(vendor, path)
        document = load_document(relative)
        host, base_path = _server(document)
        plain, _ = _deep_object_errors(relative, method, path, pairs)
        request = MockRequest(host, method, base_path + path, args=plain)
        response = MockResponse(json.dumps(data).encode(), status_code=status, headers=dict(headers or {}))
        with _quiet():
            return [_describe(error) for error in _openapi(relative).iter_response_errors(request, response)]
    if vendor == "slack":
        return _slack_response_errors(path, status, data)
    if vendor == "sheets":
        return _sheets_response_errors(status, data)
    if vendor == "quickbooks":
        return quickbooks_errors(data) if "access_token" not in data else []
    raise ValueError(f"unknown vendor {vendor!r}")


def validate_response(
    vendor: str,
    method: str,
    url: str,
    status: int,
    body: Any,
    *,
    query: Query = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Raise SpecViolation unless the response matches the vendor's documented response."""
    errors = response_errors(vendor, method, url, status, body, query=query, headers=headers)
    if errors:
        raise SpecViolation(f"{vendor} {method} {url} answered {status} unlike the spec:\n" + "\n".join(errors))


def component_errors(vendor: str, component: str, instance: Any) -> list[str]:
    """An instance against one `components/schemas` entry of the vendor's OpenAPI spec."""
    relative = OPENAPI_FILES[vendor][-1]
    document = _openapi_document(relative)
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    validator = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    return [f"at {error.json_path}: {error.message}" for error in validator.iter_errors(instance)]


# --- Slack (Swagger 2.0 Web API spec) ---------------------------------------------------------------------------


def _slack_operation(path: str) -> dict[str, Any] | None:
    return load_document("slack/slack_web_openapi_v2.json")["paths"].get(path, {}).get("post")


def _slack_request_errors(
    method: str, path: str, pairs: list[tuple[str, str]], body: Any, headers: Mapping[str, str]
) -> list[str]:
    operation = _slack_operation(path)
    if method.upper() != "POST" or operation is None:
        return [f"{method} {path} is not a documented Slack Web API method"]
    fields: dict[str, Any] = dict(pairs)
    if isinstance(body, (bytes, str)):
        text = body.decode() if isinstance(body, bytes) else body
        try:
            fields.update(json.loads(text))
        except ValueError:
            fields.update(parse_qsl(text))
    elif isinstance(body, Mapping):
        fields.update(body)
    parameters = {param["name"]: param for param in operation["parameters"]}
    errors = []
    has_token = "token" in fields or headers.get("Authorization", "").lower().startswith("bearer ")
    for name, param in parameters.items():
        if param.get("required") and name not in fields and not (name == "token" and has_token):
            errors.append(f"missing required parameter {name!r}")
    for name, value in fields.items():
        param = parameters.get(name)
        if param is None:
            errors.append(f"unknown parameter {name!r}")
        elif param.get("type") == "boolean" and value not in (True, False, "true", "false", "1", "0"):
            errors.append(f"parameter {name!r} must be a boolean, got {value!r}")
        elif param.get("type") == "string" and not isinstance(value, str) and name not in ("blocks", "attachments"):
            errors.append(f"parameter {name!r} must be a string, got {value!r}")
    return errors


def _slack_response_errors(path: str, status: int, data: Any) -> list[str]:
    operation = _slack_operation(path)
    if operation is None:
        return [f"{path} is not a documented Slack Web API method"]
    document = load_document("slack/slack_web_openapi_v2.json")
    responses = operation["responses"]
    chosen = responses.get(str(status)) if data.get("ok") else responses.get("default")
    if chosen is None:
        return [f"no documented response for status {status}"]
    schema = dict(chosen["schema"]) | {"definitions": document["definitions"]}
    validator = jsonschema.Draft4Validator(schema)
    return [f"at {error.json_path}: {error.message}" for error in validator.iter_errors(data)]


# --- Google Sheets (discovery document) -------------------------------------------------------------------------


def _discovery_schema(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A discovery-document schema as JSON Schema; documented fields only, as Google answers."""
    if "$ref" in schema:
        return _discovery_schema(schemas[schema["$ref"]], schemas)
    kind = schema.get("type")
    if kind == "any" or kind is None:
        return {}
    if kind == "object":
        result: dict[str, Any] = {
            "type": "object",
            "properties": {
                name: _discovery_schema(child, schemas) for name, child in schema.get("properties", {}).items()
            },
        }
        if "additionalProperties" in schema:
            result["additionalProperties"] = _discovery_schema(schema["additionalProperties"], schemas)
        else:
            result["additionalProperties"] = False
        return result
    if kind == "array":
        return {"type": "array", "items": _discovery_schema(schema.get("items", {}), schemas)}
    result = {"type": {"integer": "integer", "number": "number", "boolean": "boolean"}.get(kind, "string")}
    if "enum" in schema:
        result["enum"] = schema["enum"]
    return result


def _sheets_method(path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    document = load_document("google_sheets/sheets.v4.json")
    method = document["resources"]["spreadsheets"]["resources"]["values"]["methods"]["get"]
    match = re.match(r"^/v4/spreadsheets/(?P<spreadsheetId>[^/]+)/values/(?P<range>.+)$", path)
    return (method, match.groupdict()) if match else None


def _sheets_request_errors(method: str, path: str, pairs: list[tuple[str, str]]) -> list[str]:
    found = _sheets_method(path)
    if method.upper() != "GET" or found is None:
        return [f"{method} {path} is not spreadsheets.values.get"]
    spec, _ = found
    document = load_document("google_sheets/sheets.v4.json")
    known = spec["parameters"] | document.get("parameters", {})
    errors = []
    for key, value in pairs:
        param = known.get(key)
        if param is None:
            errors.append(f"unknown query parameter {key!r}")
        elif "enum" in param and value not in param["enum"]:
            errors.append(f"query parameter {key!r} must be one of {param['enum']}, got {value!r}")
    return errors


def _sheets_response_errors(status: int, data: Any) -> list[str]:
    if status != 200:
        error_schema = {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "status"],
                    "properties": {
                        "code": {"type": "integer"},
                        "message": {"type": "string"},
                        "status": {"type": "string"},
                    },
                }
            },
        }
        return [f"at {e.json_path}: {e.message}" for e in jsonschema.Draft7Validator(error_schema).iter_errors(data)]
    document = load_document("google_sheets/sheets.v4.json")
    method, _ = _sheets_method("/v4/spreadsheets/x/values/y") or ({}, {})
    schema = _discovery_schema(method["response"], document["schemas"])
    return [f"at {error.json_path}: {error.message}" for error in jsonschema.Draft7Validator(schema).iter_errors(data)]


# --- QuickBooks (XML Schema) ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def quickbooks_schema() -> xmlschema.XMLSchema:
    """Intuit's v3 XSD (IntuitRestServiceDef.xsd includes the entity and base types)."""
    return xmlschema.XMLSchema(str(_spec_path("quickbooks/IntuitRestServiceDef.xsd")))


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _child(xsd_type: Any, name: str) -> Any:
    substitutes = quickbooks_schema().maps.substitution_groups
    for element in xsd_type.content.iter_elements():
        if element.local_name == name:
            return element
        for member in substitutes.get(element.name, ()):
            if member.local_name == name:
                return member
    return None


def _as_xml_data(data: dict[str, Any], xsd_type: Any, where: str, errors: list[str]) -> dict[str, Any]:
    """JSON (QuickBooks' rendering of the XML) back into xmlschema's dict form, children in schema order."""
    attributes = {key.split("}")[-1]: key for key in xsd_type.attributes if key}
    order = (
        {element.local_name: index for index, element in enumerate(xsd_type.content.iter_elements())}
        if not xsd_type.has_simple_content()
        else {}
    )
    converted: list[tuple[int, str, Any]] = []
    for key, value in data.items():
        if key in attributes:
            converted.append((-1, f"@{key}", _xml_text(value)))
        elif xsd_type.has_simple_content() and key == "value":
            converted.append((-1, "$", _xml_text(value)))
        elif xsd_type.has_simple_content() or (element := _child(xsd_type, key)) is None:
            errors.append(f"{where}.{key}: not defined by {xsd_type.local_name or 'this type'} in the XSD")
        else:
            items = value if isinstance(value, list) else [value]
            rendered = [
                _as_xml_data(item, element.type, f"{where}.{key}", errors)
                if isinstance(item, dict)
                else _xml_text(item)
                for item in items
                if item is not None
            ]
            rendered = [
                item
                for item in rendered
                if isinstance(item, dict) or _scalar_is_valid(element.type, item, f"{where}.{key}", errors)
            ]
            if rendered:
                position = order.get(key, order.get(_substitution_head(xsd_type, key), len(order)))
                converted.append((position, key, rendered if isinstance(value, list) else rendered[0]))
    return {key: value for _, key, value in sorted(converted, key=lambda item: item[0])}


def _scalar_is_valid(xsd_type: Any, text: str, where: str, errors: list[str]) -> bool:
    """Check a simple value here, where its path is known (xmlschema's encoder reports no path)."""
    simple = xsd_type if xsd_type.is_simple() else (xsd_type.content if xsd_type.has_simple_content() else None)
    if simple is None or simple.is_valid(text):
        return True
    errors.append(f"{where}: {text!r} is not a valid {simple.local_name or 'value'}")
    return False


def _substitution_head(xsd_type: Any, name: str) -> str:
    substitutes = quickbooks_schema().maps.substitution_groups
    for element in xsd_type.content.iter_elements():
        if any(member.local_name == name for member in substitutes.get(element.name, ())):
            return element.local_name
    return name


def quickbooks_errors(data: dict[str, Any], element: str = "IntuitResponse") -> list[str]:
    """A QuickBooks JSON document against the XSD, via the XML it stands for.

    QuickBooks' JSON is a rendering of its XML: attributes become keys ("domain", CustomerRef "name") and
    simple content becomes "value". That mapping is undone here and the result validated by xmlschema, so field
    names, nesting, types (dates, decimals, booleans, enums) and order-independent structure are all checked.
    """
    schema = quickbooks_schema()
    declaration = schema.elements[element]
    errors: list[str] = []
    xml_data = _as_xml_data(data, declaration.type, element, errors)
    _, encode_errors = declaration.encode(xml_data, validation="lax", namespaces={"": QUICKBOOKS_NAMESPACE})
    errors += [f"{error.path or element}: {error.reason or error.message}" for error in encode_errors]
    return errors


def _quickbooks_request_errors(method: str, path: str, pairs: list[tuple[str, str]], body: Any) -> list[str]:
    if path == "/oauth2/v1/tokens/bearer":
        fields = (
            dict(parse_qsl(body.decode() if isinstance(body, bytes) else body))
            if isinstance(body, (bytes, str))
            else dict(body or {})
        )
        return (
            []
            if fields.get("grant_type") == "refresh_token" and fields.get("refresh_token")
            else ["token refresh needs grant_type=refresh_token and refresh_token"]
        )
    match = re.match(r"^/v3/company/\d+/(?P<endpoint>[A-Za-z]+)$", path)
    if match is None:
        return [f"{path} is not a QuickBooks Online v3 company endpoint"]
    endpoint = match["endpoint"]
    kind = endpoint if endpoint in ("query", "cdc") else "create"
    errors = [f"unknown query parameter {key!r}" for key, _ in pairs if key not in QUICKBOOKS_PARAMETERS[kind]]
    query = dict(pairs)
    if "minorversion" in query and (not query["minorversion"].isdigit() or int(query["minorversion"]) < 75):
        errors.append("minorversion must be 75 or later (lower minor versions are retired)")
    if kind == "create":
        if method.upper() != "POST":
            errors.append(f"{method} is not a create")
        entity = endpoint[0].upper() + endpoint[1:]
        if entity not in quickbooks_schema().elements:
            errors.append(f"{entity} is not a QuickBooks entity")
        elif isinstance(body, (dict, bytes, str)):
            data = body if isinstance(body, dict) else json.loads(body)
            errors += quickbooks_errors(data, entity)
    return errors
