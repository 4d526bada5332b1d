"""Reader for Wikidata's twinned-cities graph (GEXF 1.2, property P190 between cities).

The file holds one node per place (id = Wikidata QID, label = English label; attributes
``degree``, ``lon``, ``lat``, ``pop`` and ``country``, an English country name) and one undirected
edge per twinning. It has no dates. Quirks the readers below handle (see data/sources.yml):

- the same label can name two nodes ("Mexicali" twice, with different QIDs);
- a Mexican place can appear both as a city and as its municipality ("Cancun" and "Benito
  Juárez Municipality"), and a few nodes are states ("Jalisco", "Nuevo León"): resolving them
  to municipalities is the job of :mod:`analysis.tables.sources_union`, not of this reader.

Bad input raises :class:`WikidataFormatError` naming the file, the node or edge, the field and
what to do. Nothing is dropped: every node and edge of the file comes out, and
:class:`GraphReport` counts them so that they reconcile.

May import: nothing from ``analysis`` (layer 1 reader, standard library XML parser and pandas).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: GEXF namespaces accepted (the file declares 1.2draft; 1.2 and 1.3 differ only in optional parts).
GEXF_NAMESPACES = ("http://www.gexf.net/1.2draft", "http://gexf.net/1.2", "http://gexf.net/1.3")
REQUIRED_ATTRIBUTES = ("degree", "lon", "lat", "pop", "country")
NODE_COLUMNS = ["qid", "label", "country", "lat", "lon", "pop", "degree"]
EDGE_COLUMNS = ["edge_id", "qid_a", "qid_b"]
QID = re.compile(r"^Q[1-9]\d*$")
FETCH_HINT = "fetch it again with `python -m analysis data fetch` (source id wikidata_hermanamientos)"


class WikidataFormatError(ValueError):
    """The GEXF file cannot be used as it is; the message names file, node or edge, and field."""


@dataclass
class GraphReport:
    """What the file held and where it went; ``lines()`` for a notebook or a log."""

    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{k}: {v:,}" for k, v in self.counts.items()]


@dataclass
class WikidataGraph:
    """Nodes (``NODE_COLUMNS``), edges (``EDGE_COLUMNS``) and the report of the reading."""

    path: Path
    nodes: pd.DataFrame
    edges: pd.DataFrame
    report: GraphReport


def _number(text: str | None, path: Path, where: str, name: str, integer: bool) -> float:
    """Parse an attribute value; absent is NaN; anything unparsable is an error."""
    if text is None or not text.strip():
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise WikidataFormatError(f"{path}, {where}, field {name}: {text!r} is not a number; {FETCH_HINT}.") from None
    if not math.isfinite(value):
        raise WikidataFormatError(f"{path}, {where}, field {name}: {text!r} is not a finite number; {FETCH_HINT}.")
    if integer and value != int(value):
        raise WikidataFormatError(f"{path}, {where}, field {name}: {text!r} should be a whole number; {FETCH_HINT}.")
    return value


def _root(path: Path) -> tuple[ET.Element, str]:
    raw = path.read_bytes()
    if not raw.strip():
        raise WikidataFormatError(f"{path}: the file is empty; {FETCH_HINT}.")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        line, col = exc.position
        raise WikidataFormatError(f"{path}, line {line}, column {col}: not well-formed XML ({exc}); {FETCH_HINT}.") from None
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if root.tag.rsplit("}", 1)[-1] != "gexf" or ns not in GEXF_NAMESPACES:
        raise WikidataFormatError(
            f"{path}: the root element is {root.tag!r}, expected <gexf> in one of {GEXF_NAMESPACES}; "
            f"this is not the Wikidata twinning graph, {FETCH_HINT}."
        )
    return root, ns


def _attribute_ids(root: ET.Element, ns: str, path: Path) -> dict[str, str]:
    """Attribute id -> title for the node attributes; every required title must be declared."""
    ids: dict[str, str] = {}
    for block in root.iter(f"{{{ns}}}attributes"):
        if block.get("class") != "node":
            continue
        for att in block.iter(f"{{{ns}}}attribute"):
            ids[str(att.get("id"))] = str(att.get("title"))
    missing = [t for t in REQUIRED_ATTRIBUTES if t not in ids.values()]
    if missing:
        raise WikidataFormatError(
            f"{path}: node attribute(s) {missing} are not declared (found {sorted(ids.values())}); {FETCH_HINT}."
        )
    return ids


def read_gexf(path: Path) -> WikidataGraph:
    """Read every node and edge of the Wikidata twinning graph, with checks.

    Nodes: ``qid`` (unique, ``Q`` + digits), ``label``, ``country`` (English name as written),
    ``lat``/``lon`` (degrees; NaN when absent), ``pop`` and ``degree`` (NaN when absent).
    Edges: ``edge_id`` and the two QIDs, both of which must be nodes of the file; the graph is
    undirected, so (a, b) and (b, a) are the same twinning and a repeated pair is an error.
    """
    path = Path(path)
    root, ns = _root(path)
    ids = _attribute_ids(root, ns, path)
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for n, node in enumerate(root.iter(f"{{{ns}}}node"), start=1):
        qid = (node.get("id") or "").strip()
        where = f"node {n} (id {qid!r})"
        if not QID.match(qid):
            raise WikidataFormatError(f"{path}, {where}, field id: not a Wikidata QID (Q followed by digits); {FETCH_HINT}.")
        if qid in seen:
            raise WikidataFormatError(f"{path}, {where}, field id: {qid} appears twice; {FETCH_HINT}.")
        seen.add(qid)
        label = (node.get("label") or "").strip()
        if not label:
            raise WikidataFormatError(f"{path}, {where}, field label: empty; every node needs its English label; {FETCH_HINT}.")
        values = {ids.get(str(v.get("for")), str(v.get("for"))): v.get("value") for v in node.iter(f"{{{ns}}}attvalue")}
        lat = _number(values.get("lat"), path, where, "lat", integer=False)
        lon = _number(values.get("lon"), path, where, "lon", integer=False)
        if abs(lat) > 90 or abs(lon) > 180:
            raise WikidataFormatError(f"{path}, {where}, field lat/lon: ({lat}, {lon}) is outside ±90/±180; {FETCH_HINT}.")
        pop = _number(values.get("pop"), path, where, "pop", integer=True)
        if pop < 0:
            raise WikidataFormatError(f"{path}, {where}, field pop: {pop:.0f} is negative; {FETCH_HINT}.")
        rows.append({"qid": qid, "label": label, "country": (values.get("country") or "").strip(), "lat": lat,
                     "lon": lon, "pop": pop, "degree": _number(values.get("degree"), path, where, "degree", integer=True)})
    nodes = pd.DataFrame(rows, columns=NODE_COLUMNS)
    if nodes.empty:
        raise WikidataFormatError(f"{path}: no <node> elements; {FETCH_HINT}.")
    edges_rows: list[dict[str, str]] = []
    pairs: set[frozenset[str]] = set()
    self_loops = 0
    for n, edge in enumerate(root.iter(f"{{{ns}}}edge"), start=1):
        a, b = (edge.get("source") or "").strip(), (edge.get("target") or "").strip()
        eid = edge.get("id") or str(n - 1)
        where = f"edge {n} (id {eid!r}, {a} - {b})"
        for fld, q in (("source", a), ("target", b)):
            if q not in seen:
                raise WikidataFormatError(f"{path}, {where}, field {fld}: {q!r} is not a node of the file; {FETCH_HINT}.")
        key = frozenset((a, b))
        if key in pairs:
            raise WikidataFormatError(f"{path}, {where}: the pair {a} - {b} is listed twice; {FETCH_HINT}.")
        pairs.add(key)
        self_loops += a == b
        edges_rows.append({"edge_id": eid, "qid_a": a, "qid_b": b})
    edges = pd.DataFrame(edges_rows, columns=EDGE_COLUMNS)
    computed = pd.concat([edges.qid_a, edges.qid_b]).value_counts()
    stated = nodes.set_index("qid").degree
    report = GraphReport({
        "nodes_in_file": len(nodes),
        "nodes_without_coordinates": int((nodes.lat.isna() | nodes.lon.isna()).sum()),
        "nodes_without_population": int(nodes["pop"].isna().sum()),
        "nodes_without_country": int((nodes.country == "").sum()),
        "labels_shared_by_several_nodes": int(nodes.label.duplicated(keep=False).sum()),
        "edges_in_file": len(edges),
        "edges_self_loops": int(self_loops),
        "nodes_whose_degree_attribute_differs_from_edges": int(
            (stated.notna() & (stated != computed.reindex(stated.index).fillna(0))).sum()),
    })
    return WikidataGraph(path, nodes, edges, report)


def country_edges(graph: WikidataGraph, country: str = "Mexico") -> tuple[pd.DataFrame, dict[str, int]]:
    """Edges with exactly one side in ``country``, that side first: (edge_id, qid_mx, qid_foreign).

    Also returns the counts that reconcile with the file: edges with no side, one side and both
    sides in the country add up to ``edges_in_file``.
    """
    where = graph.nodes.set_index("qid").country
    in_a = graph.edges.qid_a.map(where).eq(country)
    in_b = graph.edges.qid_b.map(where).eq(country)
    one = graph.edges[in_a ^ in_b]
    first = in_a[in_a ^ in_b]
    out = pd.DataFrame({
        "edge_id": one.edge_id,
        "qid_mx": one.qid_a.where(first, one.qid_b),
        "qid_foreign": one.qid_b.where(first, one.qid_a),
    }).reset_index(drop=True)
    counts = {
        "edges_in_file": len(graph.edges),
        "edges_without_side_in_country": int((~in_a & ~in_b).sum()),
        "edges_with_one_side_in_country": len(out),
        "edges_with_both_sides_in_country": int((in_a & in_b).sum()),
    }
    if counts["edges_in_file"] != sum(v for k, v in counts.items() if k != "edges_in_file"):
        raise AssertionError("edges lost while orienting")  # guard: nothing may be dropped silently
    return out, counts
