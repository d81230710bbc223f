"""The MCP App view in headless Chromium, fed the real results the server returns for simulator agents.

The server's CallToolResults are written as fixtures; `app/test/run.mjs` loads each into the view
through the official AppBridge under the spec's default CSP, measures what a person would look at,
clicks, takes screenshots, and reports. Positions are read off the drawn chart (pixels against the
UTC axis ticks), not from values the view echoes, so a chart drawn in the wrong place fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator
from tests.support import ANCHOR, NOW

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
VIEW = ROOT / "astro_mcp" / "server" / "view.html"
ACCOUNT = "astro-team"
LABELS = {"spike": "Error spike", "regression": "Latency regression"}
HOW_TO_INSTALL = (
    "the browser tests need Node (20+), the view's npm packages and Chromium: "
    "`npm ci --prefix app` and `apt-get install -y chromium` (Debian/Ubuntu)"
)


@dataclass(frozen=True)
class Agent:
    name: str
    status: str  # the status shown while the server does not send one yet
    theme: str = "light"
    click_incident: bool = False
    hover: int | None = None  # the period hovered for the screenshot

    @property
    def case(self) -> str:
        return self.name if self.theme == "light" else f"{self.name}-{self.theme}"


AGENTS = [
    Agent("support-bot", "degraded", click_incident=True, hover=18),
    Agent("support-bot", "degraded", theme="dark"),
    Agent("checkout-agent", "incident", hover=4),
    Agent("batch-agent", "healthy"),
    Agent("new-agent", "no_traffic"),
]


def _missing() -> str | None:
    chromium = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    if shutil.which("node") is None:
        return f"node is not on PATH; {HOW_TO_INSTALL}"
    if not (APP / "node_modules" / "playwright-core").is_dir():
        return f"app/node_modules is missing; {HOW_TO_INSTALL}"
    if not chromium.exists():
        return f"{chromium} is missing; {HOW_TO_INSTALL}"
    return None


async def _results(tmp: Path) -> dict[str, Any]:
    """The server's real CallToolResults, as JSON, for every agent the cases use."""
    simulator = Simulator(anchor=ANCHOR, clock=lambda: NOW)
    async with serve_simulator(simulator) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN), credentials_file=tmp / "absent.json")
        async with Client(create_server(settings, clock=lambda: NOW)) as client:

            async def call(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
                result = await client.call_tool(tool, arguments)
                return result.model_dump(mode="json", by_alias=True, exclude_none=True)

            results = {a.name: await call("get_agent_metrics", {"account": ACCOUNT, "name": a.name}) for a in AGENTS}
            results["overview"] = await call("get_account_overview", {"account": ACCOUNT})
            for agent in AGENTS:
                if agent.click_incident:
                    expected = _expected_call(results[agent.name]["structuredContent"])
                    results[f"traces/{agent.name}"] = await call("get_agent_traces", expected)
    return results


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """(results by agent, the harness's report by case id). A browser run takes some 20 s of a 2-core machine:
    it runs with ASTRO_MCP_BROWSER_TESTS=1 (as in CI), and then fails without a browser."""
    if os.environ.get("ASTRO_MCP_BROWSER_TESTS") != "1":
        pytest.skip("drives headless Chromium through the view: set ASTRO_MCP_BROWSER_TESTS=1 (.ci/run does)")
    missing = _missing()
    if missing:
        pytest.fail(f"ASTRO_MCP_BROWSER_TESTS=1 but {missing}")
    tmp = tmp_path_factory.mktemp("app")
    results = anyio.run(_results, tmp)
    cases: list[dict[str, Any]] = []
    for agent in AGENTS:
        result = results[agent.name]
        case: dict[str, Any] = {
            "id": agent.case,
            "theme": agent.theme,
            "toolInput": {"account": ACCOUNT, "name": agent.name},
            "result": result,
            "screenshotHover": agent.hover,
            "switchTheme": "light" if agent.theme == "dark" else None,
        }
        if agent.click_incident:
            case["click"] = {"episode": 0}
            case["responses"] = {"get_agent_traces": results[f"traces/{agent.name}"]}
        cases.append(case)
    cases.append(
        {
            "id": "overview",
            "theme": "light",
            "toolInput": {"account": ACCOUNT},
            "result": results["overview"],
            "click": {"agent": "support-bot"},
            "responses": {"get_agent_metrics": results["support-bot"]},
        }
    )
    cases.append(
        {"id": "cancelled", "theme": "light", "toolInput": {"account": ACCOUNT}, "cancelReason": "user action"}
    )
    (tmp / "cases.json").write_text(json.dumps({"cases": cases, "view": str(VIEW)}))
    out = Path(os.environ.get("ASTRO_MCP_SCREENSHOTS") or tmp / "out")
    done = subprocess.run(
        ["node", str(APP / "test" / "run.mjs"), str(tmp), str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return results, report["cases"] | {"csp": report["csp"]}


# --- what the view should show, computed here from the result ------------------------------------


def _t(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _half_up(value: float, places: int) -> str:
    # JavaScript's toFixed rounds the exact binary value half up; Python's format rounds half to even.
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _percent(fraction: float) -> str:
    return f"{_half_up(fraction * 100, 2 if fraction < 0.1 else 1)}%"


def _latency(ms: float) -> str:
    whole, decimals = _half_up(ms, 1).split(".")
    return f"{int(whole):,}.{decimals} ms"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _span(start: datetime, end: datetime) -> str:
    same_day = start.date() == (end - timedelta(seconds=1)).date()
    return f"{start:%b %-d %H:%M}–{end:%H:%M}" if same_day else f"{start:%b %-d %H:%M}–{end:%b %-d %H:%M}"


def _tooltips(data: dict[str, Any]) -> list[list[str]]:
    """Each period's tooltip: its time and exact figures, and what a click does inside an incident."""
    step = timedelta(minutes=data["table"]["interval_minutes"])
    window = _t(data["window"]["start"]), _t(data["window"]["end"])
    tips = []
    before = data.get("comparison") or {"rows": [], "label": ""}
    for index, (start_text, traces, errors, latency, *_) in enumerate(data["table"]["rows"]):
        start = _t(start_text)
        lines = [f"{_span(start, start + step)} UTC"]
        if traces == 0:
            lines.append("idle: no traces")
        else:
            lines.append(f"{_plural(traces, 'trace')} · {_plural(errors, 'error')} ({_percent(errors / traces)})")
            lines.append(f"mean latency {_latency(latency)}")
        if index < len(before["rows"]):  # the same period of the window compared with, as a faint line
            t, e, lat = before["rows"][index]
            prior = [_plural(t, "trace"), *([f"{_percent(e / t)} errors"] if t else [])]
            prior += [_latency(lat)] if lat is not None else []
            lines.append(f"{before['label']}: {' · '.join(prior)}")
        middle = max(start, window[0]) + (min(start + step, window[1]) - max(start, window[0])) / 2
        for kind, a, b in _episodes(data):
            if a <= middle <= (b or window[1]):
                lines.append(f"{LABELS[kind]}: click for failing traces")
                break  # a period offers the first incident over it: one click, one drill-down
        tips.append(lines)
    return tips


def _episodes(data: dict[str, Any]) -> list[tuple[str, datetime, datetime | None]]:
    """(kind, start, end or None while ongoing) of each incident."""
    return [(i["kind"], _t(i["start"]), None if i["ongoing"] else _t(i["end"])) for i in data["incidents"]]


def _expected_call(data: dict[str, Any]) -> dict[str, Any]:
    call: dict[str, Any] = data["incidents"][0]["traces_call"]
    return call


def _idle_runs(data: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """Runs of periods without traces, clipped to the window."""
    step = timedelta(minutes=data["table"]["interval_minutes"])
    start, end = _t(data["window"]["start"]), _t(data["window"]["end"])
    if not data["table"]["rows"]:
        return [(start, end)]
    runs: list[tuple[datetime, datetime]] = []
    for row in data["table"]["rows"]:
        if row[1]:
            continue
        a = _t(row[0])
        if runs and runs[-1][1] == a:
            runs[-1] = (runs[-1][0], a + step)
        else:
            runs.append((a, a + step))
    return [(max(a, start), min(b, end)) for a, b in runs]


class Axis:
    """Pixels to UTC times, from the tick labels drawn under the chart ("12:00" with "Nov 24" below it)."""

    def __init__(self, ticks: list[dict[str, Any]], year: int) -> None:
        points: list[tuple[float, datetime]] = []
        date = ""
        for tick in ticks:
            date = tick["date"] or date
            text = f"{year} {date} {tick['time']}" if ":" in tick["time"] else f"{year} {tick['time']} 00:00"
            points.append((float(tick["x"]), datetime.strptime(text, "%Y %b %d %H:%M").replace(tzinfo=UTC)))
        (self.x0, self.t0), (x1, t1) = points[0], points[-1]
        self.per_pixel = (t1 - self.t0) / (x1 - self.x0)
        assert len(points) >= 3
        for x, t in points:  # the ticks themselves must be evenly spaced in time
            assert abs(self.at(x) - t) < self.per_pixel

    def at(self, x: float) -> datetime:
        return self.t0 + (x - self.x0) * self.per_pixel

    def close(self, x: float, t: datetime) -> bool:
        return abs(self.at(x) - t) <= 1.5 * self.per_pixel


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.case)
def test_the_chart_shows_every_period_where_it_happened(
    agent: Agent, run: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    results, report = run
    seen = report[agent.case]
    data = results[agent.name]["structuredContent"]
    assert "error" not in seen, seen.get("error")
    assert not [line for line in seen["log"] if line.startswith(("error", "pageerror"))]
    assert seen["headline"] == (data.get("headline") or f"{data['account']}/{data['name']}")
    assert seen["status"]["value"] == (data.get("status") or agent.status)
    rows = data["table"]["rows"]
    busy = [i for i, row in enumerate(rows) if row[1]]
    assert [bar["index"] for bar in seen["bars"]] == busy
    # Bar heights are proportional to the trace counts.
    scales = [(bar["y1"] - bar["y0"]) / rows[bar["index"]][1] for bar in seen["bars"]]
    assert all(abs(scale - scales[0]) * rows[i][1] < 1.0 for scale, i in zip(scales, busy, strict=True))
    axis = Axis(seen["ticks"], _t(data["window"]["start"]).year)
    assert axis.close(seen["plot"]["left"], _t(data["window"]["start"]))
    assert axis.close(seen["plot"]["right"], _t(data["window"]["end"]))
    for bar in seen["bars"]:
        assert axis.close(bar["x0"], max(_t(rows[bar["index"]][0]), _t(data["window"]["start"])))
    # Every period's exact figures show on hover.
    assert seen["tooltips"] == _tooltips(data)
    # Incidents are shaded at their times; an ongoing one runs to the end of the chart.
    expected = _episodes(data)
    assert len(seen["shades"]) == len(expected)
    for shade, (kind, start, end) in zip(seen["shades"], expected, strict=True):
        assert shade["kind"] == kind
        assert shade["ongoing"] == (end is None)
        assert axis.close(shade["x0"], start)
        assert axis.close(shade["x1"], end or _t(data["window"]["end"]))
        assert shade["label"].endswith("ongoing →") == (end is None)
    # Idle stretches are drawn as idle, not left as gaps.
    idle = _idle_runs(data) if data["totals"]["trace_count"] == 0 or data["idle"]["idle_buckets"] else []
    assert len(seen["idle"]) == len(idle)
    for band, (start, end) in zip(seen["idle"], idle, strict=True):
        assert axis.close(band["x0"], start)
        assert axis.close(band["x1"], end)
    if data["idle"]["longest_start"]:
        longest = (_t(data["idle"]["longest_start"]), _t(data["idle"]["longest_end"]))
        assert any(axis.close(b["x0"], longest[0]) and axis.close(b["x1"], longest[1]) for b in seen["idle"])
    # The host was told the view's height, and shows all of it.
    assert seen["height"] > 300
    assert abs(seen["heights"][-1] - seen["height"]) <= 1  # the size reported may round a subpixel height


def test_the_support_bot_spike_is_shaded_over_its_hour(run: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, report = run
    (shade,) = report["support-bot"]["shades"]
    axis = Axis(report["support-bot"]["ticks"], 2026)
    assert axis.close(shade["x0"], datetime(2026, 11, 25, 3, tzinfo=UTC))
    assert axis.close(shade["x1"], datetime(2026, 11, 25, 4, tzinfo=UTC))


def test_the_view_follows_the_host_theme(run: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, report = run
    light, dark = report["support-bot"], report["support-bot-dark"]
    assert (light["theme"], dark["theme"]) == ("light", "dark")
    # The host's own colour variables are used, not the view's fallbacks.
    assert light["colors"] == {"background": "rgb(255, 255, 255)", "text": "rgb(29, 29, 27)"}
    assert dark["colors"] == {"background": "rgb(31, 31, 30)", "text": "rgb(236, 235, 231)"}
    # A theme changed by the host while the chart is shown is followed.
    assert (dark["switched"]["theme"], dark["switched"]["colors"]) == ("light", light["colors"])


def test_every_view_answers_the_hosts_teardown(run: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, report = run
    views = {case: seen for case, seen in report.items() if case != "csp"}
    assert len(views) == len(AGENTS) + 2
    assert all(seen["teardown"] == {} for seen in views.values())


def test_clicking_an_incident_asks_the_host_for_its_failing_traces(run: tuple[dict[str, Any], dict[str, Any]]) -> None:
    results, report = run
    seen = report["support-bot"]
    expected = _expected_call(results["support-bot"]["structuredContent"])
    assert [(c["name"], c["arguments"]) for c in seen["calls"]] == [("get_agent_traces", expected)]
    listed = results["traces/support-bot"]["structuredContent"]["traces"]
    assert [row["cells"][3] for row in seen["after"]["traces"]] == [t["trace_id"] for t in listed]
    # Each failing trace says what went wrong, and its content is shown as the JSON or text it is.
    assert [row["error"] for row in seen["after"]["traces"]] == [_error_message(t["output"]) for t in listed]
    assert [row["content"] for row in seen["after"]["traces"]] == [_content(t) for t in listed]
    assert any(shown["json"] for row in seen["after"]["traces"] for shown in row["content"].values())


def _error_message(output: str) -> str:
    """A failed trace's output, or the `error` inside it when it is JSON: type and message."""
    try:
        error = json.loads(output)["error"]
    except (ValueError, TypeError, KeyError):
        return output
    return f"{error['type']}: {error['message']}"


def _content(trace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    shown = {}
    for key in ("input", "output"):
        text = trace[key]
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict | list):
            shown[key] = {"text": json.dumps(value, indent=2, ensure_ascii=False), "json": True}
        else:
            shown[key] = {"text": text, "json": False}
    return shown


def test_the_overview_lists_agents_worst_first_and_opens_a_chart(run: tuple[dict[str, Any], dict[str, Any]]) -> None:
    results, report = run
    seen = report["overview"]
    assert "error" not in seen, seen.get("error")
    overview = results["overview"]["structuredContent"]
    assert [(a["name"], a["status"]) for a in seen["agents"]] == [(a["name"], a["status"]) for a in overview["agents"]]
    assert [a["sparkline"] for a in seen["agents"]] == [len(a["sparkline"]) for a in overview["agents"]]
    colours = {a["status"]: a["background"] for a in seen["agents"]}
    assert len(set(colours.values())) == len(colours)  # each status has its own colour
    window = overview["window"]
    arguments = {"account": ACCOUNT, "name": "support-bot", "start_time": window["start"], "end_time": window["end"]}
    assert [(c["name"], c["arguments"]) for c in seen["calls"]] == [("get_agent_metrics", arguments)]
    rows = results["support-bot"]["structuredContent"]["table"]["rows"]
    assert len(seen["after"]["bars"]) == sum(1 for row in rows if row[1])


def test_the_default_csp_is_in_force_and_the_view_needs_nothing_it_forbids(
    run: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, report = run
    blocked, loaded = report["csp"]["withCsp"], report["csp"]["withoutCsp"]
    # Under the CSP a script from elsewhere is refused before any request, and the view still works.
    assert (blocked["requests"], blocked["ran"], blocked["state"]) == (0, False, "ready")
    assert any("Content Security Policy" in line for line in blocked["log"])
    # The control: without the CSP the same page does fetch and run it, so the check above can fail.
    assert (loaded["requests"], loaded["ran"]) == (1, True)


def test_a_call_the_host_cancels_is_said_to_be_cancelled_not_left_loading(
    run: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, report = run
    seen = report["cancelled"]
    assert "error" not in seen, seen.get("error")
    assert seen["notices"] == ["The tool call was cancelled (user action): there is nothing to show."]
