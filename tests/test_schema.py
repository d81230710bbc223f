"""The published output schemas: self-contained, compact, and accepting what pydantic's schema accepts."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from astro_mcp.analysis.compare import Reference
from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.analysis.summarize import summarize
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.domain import Bucket as MetricsBucket
from astro_mcp.server.schema import compact_output, self_contained
from tests.support import examples, summarize_at

START = datetime(2026, 11, 20, tzinfo=UTC)
QUERY = MetricsQuery(AgentRef("astro-team", "weather-agent"), START, START + timedelta(days=1), 60)
ORIGINAL = MetricsSummary.model_json_schema()
PUBLISHED = compact_output(ORIGINAL)
SHALLOW = compact_output(ORIGINAL, 1)  # as get_agent_metrics publishes it


def walk(node: Any) -> list[Any]:
    """Every dict and list in a JSON document, the root included."""
    if isinstance(node, dict):
        return [node, *(n for v in node.values() for n in walk(v))]
    if isinstance(node, list):
        return [node, *(n for v in node for n in walk(v))]
    return []


def busy() -> dict[str, Any]:
    """A summary with every optional part filled: an error spike makes an incident; a day before, a comparison."""
    buckets: list[MetricsBucket] = [
        {
            "timestamp": START + timedelta(hours=h),
            "trace_count": 100,
            "avg_latency_ms": 200.0,
            "input_tokens": 90_000,
            "output_tokens": 30_000,
            "error_count": 60 if h == 12 else 1,
        }
        for h in range(24)
        if h != 3
    ]
    before: list[MetricsBucket] = [
        {**b, "timestamp": b["timestamp"] - timedelta(days=1), "error_count": 1} for b in buckets
    ]
    reference = Reference("the previous day", START - timedelta(days=1), START, before, 60, contiguous=True)
    return summarize(QUERY, buckets, 60, reference).model_dump(mode="json")


BUSY = busy()
EMPTY = summarize_at(QUERY, [], 60, START + timedelta(days=2)).model_dump(mode="json")


def test_the_published_schema_has_no_references_and_nothing_only_a_person_reads() -> None:
    nodes = [n for n in walk(PUBLISHED) if isinstance(n, dict)]
    assert not [n for n in nodes if "$ref" in n or "$defs" in n]
    assert "$defs" in ORIGINAL  # ...while pydantic's own has them: the rewrite did something
    assert not [
        n for n in nodes if {"title", "description", "default"} & {k for k, v in n.items() if isinstance(v, str)}
    ]
    assert PUBLISHED["properties"]["error_rate"]["type"] == ["number", "null"]
    busiest = PUBLISHED["properties"]["busiest"]["anyOf"]
    assert busiest[1] == {"type": "null"}
    assert busiest[0]["required"] == ORIGINAL["$defs"]["Period"]["required"]
    assert PUBLISHED["properties"]["incidents"]["items"]["properties"]["kind"]["enum"] == [
        "spike",
        "regression",
        "drift",
        "flapping",
        "silence",
        "recovered",
    ]


def test_a_shallow_schema_types_every_field_and_leaves_the_inside_of_nested_objects_out() -> None:
    props = SHALLOW["properties"]
    assert set(props) == set(ORIGINAL["properties"])
    assert SHALLOW["required"] == ORIGINAL["required"]
    assert props["busiest"] == {"type": ["object", "null"]}
    assert props["incidents"] == {"type": "array", "items": {"type": "object"}}
    assert props["status"]["enum"] == ORIGINAL["properties"]["status"]["enum"]
    assert len(json.dumps(SHALLOW)) < len(json.dumps(PUBLISHED)) / 3


def test_a_ref_keeps_its_sibling_keywords() -> None:
    schema = {
        "$defs": {"P": {"type": "object", "properties": {"x": {"type": "integer"}}, "description": "a P"}},
        "type": "object",
        "properties": {
            "p": {"$ref": "#/$defs/P", "description": "the p"},
            "q": {"anyOf": [{"$ref": "#/$defs/P"}, {"type": "null"}], "default": None},
        },
    }
    p = {"type": "object", "properties": {"x": {"type": "integer"}}, "description": "a P"}
    assert self_contained(schema) == {
        "type": "object",
        "properties": {
            "p": {**p, "description": "the p"},
            "q": {"anyOf": [p, {"type": "null"}], "default": None},
        },
    }


def test_real_summaries_are_valid_under_each() -> None:
    for instance in (BUSY, EMPTY):
        assert Draft202012Validator(ORIGINAL).is_valid(instance)
        assert Draft202012Validator(PUBLISHED).is_valid(instance)
        assert Draft202012Validator(SHALLOW).is_valid(instance)
    assert BUSY["incidents"]
    assert BUSY["comparison"] is not None
    assert BUSY["busiest"] is not None
    assert EMPTY["busiest"] is None
    assert EMPTY["error_rate"] is None


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside a JSON document."""
    items: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    return [p for key, value in items for p in [(*prefix, key), *paths(value, (*prefix, key))]]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-1, 1)
    | st.sampled_from(["", "up", "error_rate", "spike", "healthy"]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(["start", "x"]), inner, max_size=2),
    max_leaves=4,
)


@given(base=st.sampled_from([BUSY, EMPTY]), data=st.data())
@settings(max_examples=examples(400), deadline=None)
def test_both_schemas_accept_and_reject_the_same_instances(base: dict[str, Any], data: st.DataObject) -> None:
    instance = copy.deepcopy(base)
    for path in data.draw(st.lists(st.sampled_from(paths(base)), min_size=1, max_size=3)):
        *parents, last = path
        node: Any = instance
        try:
            for key in parents:
                node = node[key]
            if data.draw(st.booleans()) and isinstance(node, dict):
                node.pop(last, None)
            else:
                node[last] = data.draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change already replaced this part
    valid = Draft202012Validator(ORIGINAL).is_valid(instance)
    assert Draft202012Validator(PUBLISHED).is_valid(instance) == valid
    if valid:  # the shallow one is never stricter
        assert Draft202012Validator(SHALLOW).is_valid(instance)
