"""A small validator of Microsoft Graph JSON against the official v1.0 CSDL.

It reads the EDMX/CSDL document with the standard library only and checks a JSON
value (as decoded by ``json.loads``) against an entity or complex type:

* every property name must be declared on the type or one of its base types
  (structural properties and navigation properties; instance annotations such as
  ``@odata.context`` or ``owners@odata.bind`` are allowed);
* primitive values must have the declared Edm type and format;
* enum values must be member names (comma-separated member names for flags enums);
* ``Nullable="false"`` properties must not be ``null``;
* complex values and expanded navigation values are checked recursively, and an
  ``@odata.type`` annotation selects a derived type (which must derive from the
  declared one).

``Csdl.resolve_path`` maps a Graph URL path such as ``/v1.0/roleManagement/directory/roleDefinitions``
to the type it returns, walking the EntityContainer, navigation properties, type casts,
keys and bound actions/functions.

Usage::

    schema = Csdl.load("v1.0-metadata.xml")
    problems = schema.validate(json_value, "application")   # -> list[str]
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EDM_NS = "{http://docs.oasis-open.org/odata/ns/edm}"
EDMX_NS = "{http://docs.oasis-open.org/odata/ns/edmx}"

CSDL_ENV = "BREAKGLASS_GRAPH_CSDL"


def default_csdl_path() -> Path:
    """``$BREAKGLASS_GRAPH_CSDL`` or ``<repo>/../shared/reference/graph/v1.0-metadata.xml``."""
    env = os.environ.get(CSDL_ENV)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "reference" / "graph" / "v1.0-metadata.xml"


# --------------------------------------------------------------------------------------------
# model


@dataclass
class Prop:
    name: str
    type: str  # qualified, e.g. "Edm.String", "microsoft.graph.keyCredential"
    collection: bool
    nullable: bool
    navigation: bool = False


@dataclass
class SchemaType:
    name: str  # qualified name
    kind: str  # "entity" | "complex" | "enum"
    base: str | None = None
    abstract: bool = False
    open: bool = False
    props: dict[str, Prop] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)  # enums
    flags: bool = False  # enums


@dataclass
class Operation:
    name: str  # qualified
    kind: str  # "action" | "function"
    binding_type: str | None  # qualified element type of the binding parameter
    binding_collection: bool
    return_type: str | None
    return_collection: bool


@dataclass(frozen=True)
class ResolvedPath:
    type: str  # qualified type name (entity, complex, enum or Edm primitive)
    collection: bool


# --------------------------------------------------------------------------------------------
# primitive formats

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?Z$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,12})?)?$")
_DURATION = re.compile(
    r"^-?P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
)
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")
_EXTENSION_PROPERTY = re.compile(r"^extension_[0-9a-fA-F]{32}_\w+$")

_INT_RANGES = {
    "Edm.Byte": (0, 255),
    "Edm.SByte": (-128, 127),
    "Edm.Int16": (-(2**15), 2**15 - 1),
    "Edm.Int32": (-(2**31), 2**31 - 1),
    "Edm.Int64": (-(2**63), 2**63 - 1),
}
_FLOATS = {"Edm.Double", "Edm.Single", "Edm.Decimal"}
_ANY = {"Edm.Untyped", "Edm.PrimitiveType"}


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _valid_date(y: str, m: str, d: str) -> bool:
    try:
        _dt.date(int(y), int(m), int(d))
    except ValueError:
        return False
    return True


def check_primitive(type_name: str, value: Any) -> str | None:
    """Return a problem description, or None when ``value`` is a valid ``type_name`` (non-null)."""
    if type_name in _ANY:
        return None
    if type_name == "Edm.String":
        return None if isinstance(value, str) else f"expected string, got {_json_type(value)}"
    if type_name == "Edm.Boolean":
        return None if isinstance(value, bool) else f"expected boolean, got {_json_type(value)} {_describe(value)}"
    if type_name in _INT_RANGES:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected integer ({type_name}), got {_json_type(value)} {_describe(value)}"
        lo, hi = _INT_RANGES[type_name]
        if not lo <= value <= hi:
            return f"integer {value} out of range for {type_name}"
        return None
    if type_name in _FLOATS:
        if isinstance(value, bool):
            return f"expected number ({type_name}), got boolean"
        if isinstance(value, (int, float)):
            return None
        if type_name != "Edm.Decimal" and value in ("NaN", "INF", "-INF"):
            return None
        return f"expected number ({type_name}), got {_json_type(value)} {_describe(value)}"
    if not isinstance(value, str):
        return f"expected string ({type_name}), got {_json_type(value)} {_describe(value)}"
    if type_name == "Edm.Guid":
        return None if _GUID.match(value) else f"not a GUID: {_describe(value)}"
    if type_name == "Edm.DateTimeOffset":
        m = _DATETIME.match(value)
        if not m:
            return f"not an ISO 8601 UTC timestamp (yyyy-mm-ddThh:mm:ss[.fffffff]Z): {_describe(value)}"
        y, mo, d, hh, mi, ss = m.group(1, 2, 3, 4, 5, 6)
        if not _valid_date(y, mo, d) or int(hh) > 23 or int(mi) > 59 or int(ss or 0) > 59:
            return f"not a valid date/time: {_describe(value)}"
        return None
    if type_name == "Edm.Date":
        m = _DATE.match(value)
        if not m or not _valid_date(*m.groups()):
            return f"not a date (yyyy-mm-dd): {_describe(value)}"
        return None
    if type_name == "Edm.TimeOfDay":
        m = _TIME.match(value)
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
            return f"not a time of day (hh:mm:ss): {_describe(value)}"
        return None
    if type_name == "Edm.Duration":
        return None if _DURATION.match(value) else f"not an ISO 8601 duration: {_describe(value)}"
    if type_name == "Edm.Binary":
        if not _BASE64.match(value):
            return f"not base64: {_describe(value)}"
        body = value.rstrip("=")
        if len(body) % 4 == 1:
            return f"not base64 (bad length): {_describe(value)}"
        if ("-" in body or "_" in body) and ("+" in body or "/" in body):
            return f"not base64 (mixes standard and url-safe alphabets): {_describe(value)}"
        try:
            padded = body + "=" * (-len(body) % 4)
            base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            return f"not base64: {_describe(value)}"
        return None
    # Edm.Stream (media read links), geography/geometry: a string is the most we can say.
    return None


# --------------------------------------------------------------------------------------------
# the schema


def _split_collection(type_ref: str) -> tuple[str, bool]:
    if type_ref.startswith("Collection(") and type_ref.endswith(")"):
        return type_ref[len("Collection(") : -1], True
    return type_ref, False


class Csdl:
    """An in-memory index of one CSDL document."""

    def __init__(self, root: ET.Element):
        self.types: dict[str, SchemaType] = {}
        self.aliases: dict[str, str] = {}
        self.entity_sets: dict[str, str] = {}
        self.singletons: dict[str, str] = {}
        self.operations: dict[str, list[Operation]] = {}  # by simple name
        self._derived_cache: dict[tuple[str, str], bool] = {}
        schemas = list(root.iter(f"{EDM_NS}Schema"))
        if not schemas:
            raise ValueError("no CSDL <Schema> elements found")
        for schema in schemas:
            alias = schema.get("Alias")
            if alias:
                self.aliases[alias] = schema.get("Namespace")
        for schema in schemas:
            self._load_schema(schema)
        if not self.types:
            raise ValueError("CSDL document declares no types")

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "Csdl":
        path = Path(path) if path is not None else default_csdl_path()
        return cls(ET.parse(path).getroot())

    @classmethod
    def from_string(cls, text: str) -> "Csdl":
        return cls(ET.fromstring(text))

    def qualify(self, name: str) -> str:
        """Resolve an alias-qualified or namespace-qualified type name to its full name."""
        name = name.lstrip("#")
        if name.startswith("Edm."):
            return name
        inner, coll = _split_collection(name)
        if coll:
            return f"Collection({self.qualify(inner)})"
        ns, _, simple = name.rpartition(".")
        if ns in self.aliases:
            return f"{self.aliases[ns]}.{simple}"
        return name

    def _load_schema(self, schema: ET.Element) -> None:
        ns = schema.get("Namespace")
        for el in schema:
            tag = el.tag.removeprefix(EDM_NS)
            if tag in ("EntityType", "ComplexType"):
                t = SchemaType(
                    name=f"{ns}.{el.get('Name')}",
                    kind="entity" if tag == "EntityType" else "complex",
                    base=self.qualify(el.get("BaseType")) if el.get("BaseType") else None,
                    abstract=el.get("Abstract") == "true",
                    open=el.get("OpenType") == "true",
                )
                for p in el:
                    ptag = p.tag.removeprefix(EDM_NS)
                    if ptag not in ("Property", "NavigationProperty"):
                        continue
                    inner, coll = _split_collection(p.get("Type"))
                    t.props[p.get("Name")] = Prop(
                        name=p.get("Name"),
                        type=self.qualify(inner),
                        collection=coll,
                        nullable=p.get("Nullable", "true") != "false",
                        navigation=ptag == "NavigationProperty",
                    )
                self.types[t.name] = t
            elif tag == "EnumType":
                t = SchemaType(
                    name=f"{ns}.{el.get('Name')}",
                    kind="enum",
                    flags=el.get("IsFlags") == "true",
                    members={m.get("Name") for m in el if m.tag == f"{EDM_NS}Member"},
                )
                self.types[t.name] = t
            elif tag in ("Action", "Function"):
                params = [p for p in el if p.tag == f"{EDM_NS}Parameter"]
                ret = el.find(f"{EDM_NS}ReturnType")
                binding, bcoll = (None, False)
                if el.get("IsBound") == "true" and params:
                    binding, bcoll = _split_collection(params[0].get("Type"))
                    binding = self.qualify(binding)
                rtype, rcoll = (None, False)
                if ret is not None:
                    rtype, rcoll = _split_collection(ret.get("Type"))
                    rtype = self.qualify(rtype)
                op = Operation(
                    name=f"{ns}.{el.get('Name')}",
                    kind=tag.lower(),
                    binding_type=binding,
                    binding_collection=bcoll,
                    return_type=rtype,
                    return_collection=rcoll,
                )
                self.operations.setdefault(el.get("Name"), []).append(op)
            elif tag == "EntityContainer":
                for c in el:
                    ctag = c.tag.removeprefix(EDM_NS)
                    if ctag == "EntitySet":
                        self.entity_sets[c.get("Name")] = self.qualify(c.get("EntityType"))
                    elif ctag == "Singleton":
                        self.singletons[c.get("Name")] = self.qualify(c.get("Type"))

    # -- type queries --------------------------------------------------------------------------

    def type(self, name: str) -> SchemaType:
        """Look a type up by simple name ("application"), qualified or aliased name, or '#'-prefixed."""
        q = self.qualify(name)
        if q in self.types:
            return self.types[q]
        if "." not in q:
            if f"microsoft.graph.{q}" in self.types:
                return self.types[f"microsoft.graph.{q}"]
            matches = [t for n, t in self.types.items() if n.rpartition(".")[2] == q]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise KeyError(f"ambiguous type name {name!r}: {sorted(t.name for t in matches)}")
        raise KeyError(f"unknown type {name!r}")

    def base_chain(self, name: str) -> list[SchemaType]:
        """The type and its base types, most derived first."""
        chain = []
        t: SchemaType | None = self.type(name)
        seen = set()
        while t is not None:
            if t.name in seen:
                raise ValueError(f"BaseType cycle at {t.name}")
            seen.add(t.name)
            chain.append(t)
            t = self.types.get(t.base) if t.base else None
        return chain

    def all_props(self, name: str) -> dict[str, Prop]:
        """Structural and navigation properties of a type, including those of its base types."""
        out: dict[str, Prop] = {}
        for t in reversed(self.base_chain(name)):
            out.update(t.props)
        return out

    def is_open(self, name: str) -> bool:
        return any(t.open for t in self.base_chain(name))

    def derives_from(self, derived: str, base: str) -> bool:
        key = (derived, base)
        if key not in self._derived_cache:
            base_q = self.type(base).name
            self._derived_cache[key] = any(t.name == base_q for t in self.base_chain(derived))
        return self._derived_cache[key]

    # -- paths ---------------------------------------------------------------------------------

    def resolve_path(self, path: str) -> ResolvedPath:
        """Map a Graph request path to the type it returns.

        ``/v1.0/users`` -> (microsoft.graph.user, collection); ``/directory/deletedItems/microsoft.graph.user``
        -> (microsoft.graph.user, collection); ``/applications/{id}/addPassword`` -> passwordCredential.
        """
        path = path.split("?", 1)[0]
        segments = [s for s in path.strip("/").split("/") if s]
        if segments and segments[0] in ("v1.0", "beta"):
            segments = segments[1:]
        if not segments:
            raise KeyError("empty path")
        first, key = self._split_key(segments[0])
        if first in self.entity_sets:
            cur = ResolvedPath(self.entity_sets[first], key is None)
        elif first in self.singletons:
            cur = ResolvedPath(self.singletons[first], False)
        else:
            raise KeyError(f"{first!r} is neither an entity set nor a singleton")
        for seg in segments[1:]:
            cur = self._step(cur, seg, path)
        return cur

    @staticmethod
    def _split_key(segment: str) -> tuple[str, str | None]:
        m = re.match(r"^([^()]+)\((.*)\)$", segment)
        return (m.group(1), m.group(2)) if m else (segment, None)

    def _step(self, cur: ResolvedPath, seg: str, path: str) -> ResolvedPath:
        if seg in ("$count", "$value", "$ref"):
            return ResolvedPath("Edm.Untyped", False)
        name, key = self._split_key(seg)
        # type cast: /directory/deletedItems/microsoft.graph.user
        if "." in name and self.qualify(name) in self.types:
            cast = self.qualify(name)
            if cur.type in self.types and not self.derives_from(cast, cur.type):
                raise KeyError(f"{path}: cast {cast} does not derive from {cur.type}")
            return ResolvedPath(cast, cur.collection)
        # bound action or function (possibly namespace-qualified)
        op = self._bound_operation(name.rpartition(".")[2], cur)
        if op is not None:
            return ResolvedPath(op.return_type or "Edm.Untyped", op.return_collection)
        if cur.collection:
            # a key segment: /users/{id}
            return ResolvedPath(cur.type, False)
        if cur.type in self.types:
            prop = self.all_props(cur.type).get(name)
            if prop is not None:
                return ResolvedPath(prop.type, prop.collection and key is None)
        raise KeyError(f"{path}: cannot resolve segment {seg!r} on {cur.type}")

    def _bound_operation(self, name: str, cur: ResolvedPath) -> Operation | None:
        best: tuple[int, Operation] | None = None
        if cur.type not in self.types:
            return None
        chain = [t.name for t in self.base_chain(cur.type)]
        for op in self.operations.get(name, []):
            if op.binding_type is None or op.binding_collection != cur.collection:
                continue
            if op.binding_type in chain:
                depth = chain.index(op.binding_type)
                if best is None or depth < best[0]:
                    best = (depth, op)
        return best[1] if best else None

    # -- validation ----------------------------------------------------------------------------

    def validate(self, value: Any, type_name: str, *, collection: bool = False, where: str | None = None) -> list[str]:
        """Validate a decoded JSON value against a type; return human-readable problems (empty = valid)."""
        problems: list[str] = []
        t = self.type(type_name) if not type_name.startswith("Edm.") else None
        label = where or (t.name.rpartition(".")[2] if t else type_name)
        qualified = t.name if t else type_name
        if collection:
            self._check_collection(value, qualified, True, label, problems)
        else:
            self._check_value(value, qualified, True, label, problems)
        return problems

    def validate_path_response(self, path: str, body: Any) -> list[str]:
        """Validate a whole response body for a GET/POST on ``path`` (collections use ``value``)."""
        resolved = self.resolve_path(path)
        label = path.split("?", 1)[0]
        if resolved.collection:
            if not isinstance(body, dict) or "value" not in body:
                return [f"{label}: expected an object with a 'value' array, got {_json_type(body)}"]
            problems = []
            for k in body:
                if k != "value" and not ("@" in k):
                    problems.append(f"{label}: unexpected top-level property {k!r} in a collection response")
            return problems + self.validate(body["value"], resolved.type, collection=True, where=f"{label}.value")
        return self.validate(body, resolved.type, where=label)

    def _check_collection(self, value: Any, type_name: str, nullable_items: bool, where: str, problems: list[str]) -> None:
        if not isinstance(value, list):
            problems.append(f"{where}: expected array of {type_name}, got {_json_type(value)}")
            return
        for i, item in enumerate(value):
            self._check_value(item, type_name, nullable_items, f"{where}[{i}]", problems)

    def _check_value(self, value: Any, type_name: str, nullable: bool, where: str, problems: list[str]) -> None:
        if value is None:
            if not nullable:
                problems.append(f"{where}: must not be null ({type_name} is declared Nullable=\"false\")")
            return
        if type_name.startswith("Edm."):
            problem = check_primitive(type_name, value)
            if problem:
                problems.append(f"{where}: {problem}")
            return
        t = self.types.get(type_name)
        if t is None:
            problems.append(f"{where}: schema refers to unknown type {type_name}")
            return
        if t.kind == "enum":
            self._check_enum(value, t, where, problems)
        else:
            self._check_structured(value, t, where, problems)

    def _check_enum(self, value: Any, t: SchemaType, where: str, problems: list[str]) -> None:
        if not isinstance(value, str):
            problems.append(f"{where}: expected a member name of enum {t.name}, got {_json_type(value)} {_describe(value)}")
            return
        names = [v.strip() for v in value.split(",")] if t.flags else [value]
        for n in names:
            if n not in t.members:
                sample = ", ".join(sorted(t.members)[:12])
                problems.append(f"{where}: {n!r} is not a member of enum {t.name} (members: {sample})")

    def _check_structured(self, value: Any, declared: SchemaType, where: str, problems: list[str]) -> None:
        if not isinstance(value, dict):
            problems.append(f"{where}: expected object ({declared.name}), got {_json_type(value)} {_describe(value)}")
            return
        actual = declared
        odata_type = value.get("@odata.type")
        if odata_type is not None:
            if not isinstance(odata_type, str):
                problems.append(f"{where}.@odata.type: expected string, got {_json_type(odata_type)}")
            else:
                try:
                    selected = self.type(odata_type)
                except KeyError:
                    problems.append(f"{where}.@odata.type: unknown type {odata_type!r}")
                    selected = None
                if selected is not None:
                    if not odata_type.startswith("#"):
                        problems.append(f"{where}.@odata.type: {odata_type!r} should start with '#'")
                    if selected.kind != declared.kind or not self.derives_from(selected.name, declared.name):
                        problems.append(
                            f"{where}.@odata.type: {selected.name} is not {declared.name} or a type derived from it"
                        )
                    else:
                        actual = selected
        props = self.all_props(actual.name)
        is_open = self.is_open(actual.name)
        for key, item in value.items():
            if key.startswith("@") or "@" in key:
                continue  # instance annotation (@odata.context, @odata.type, x@odata.nextLink, ...)
            prop = props.get(key)
            sub = f"{where}.{key}"
            if prop is None:
                if is_open and _EXTENSION_PROPERTY.match(key):
                    continue
                problems.append(f"{sub}: property {key!r} is not declared on {actual.name} or its base types")
                continue
            if prop.collection:
                if item is None:
                    if not prop.nullable:
                        problems.append(f"{sub}: must not be null (Collection({prop.type}) declared Nullable=\"false\")")
                    continue
                self._check_collection(item, prop.type, prop.nullable, sub, problems)
            else:
                self._check_value(item, prop.type, prop.nullable, sub, problems)


_CACHE: dict[str, Csdl] = {}


def load_cached(path: str | os.PathLike[str] | None = None) -> Csdl:
    """Parse the CSDL once per process."""
    key = str(Path(path) if path is not None else default_csdl_path())
    if key not in _CACHE:
        _CACHE[key] = Csdl.load(key)
    return _CACHE[key]
