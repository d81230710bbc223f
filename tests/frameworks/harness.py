"""What every framework driver shares: read the job from argv, drive each transport, print one JSON line.

Standard library only: each framework runs in its own environment (see README.md beside this file), and this
module is imported from all of them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Stdio:
    """Start the server as a subprocess, as a framework would from a host's configuration."""

    command: str
    args: list[str]
    env: dict[str, str]


@dataclass(frozen=True)
class Http:
    """Connect to a server that is already listening (streamable HTTP)."""

    url: str


Target = Stdio | Http


@dataclass(frozen=True)
class Seen:
    """What the framework hands the model: for a good call, and for one the server refuses.

    `structured` is the JSON object a framework hands over beside the text, where it does (an artifact, a
    typed object): what a host can read fields from.
    """

    tools: list[str]
    model_sees: str
    error_model_sees: str
    error_flagged: bool
    structured: dict[str, Any] | None = None


Drive = Callable[[Target, dict[str, Any], dict[str, Any]], Coroutine[Any, Any, Seen]]


def main(drive: Drive) -> None:
    """argv[1] is a JSON job: {"stdio": {command, args, env}, "url": ..., "call": {...}, "bad_call": {...}}.

    Prints {"stdio": Seen, "streamable-http": Seen}: every framework here speaks both.
    """
    job = json.loads(sys.argv[1])
    targets: dict[str, Target] = {"stdio": Stdio(**job["stdio"]), "streamable-http": Http(job["url"])}
    seen = {name: asdict(asyncio.run(drive(target, job["call"], job["bad_call"]))) for name, target in targets.items()}
    print(json.dumps(seen, ensure_ascii=False, default=str))  # fastmcp hands back datetimes for date-time fields


def text_of(blocks: list[Any]) -> str:
    """The text blocks of an MCP result, joined as a host that passes text on would join them."""
    return "\n".join(block.text for block in blocks if getattr(block, "type", None) == "text")


Convert = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""(a tool as tools/list gives it, a model's arguments) -> the arguments the framework sends to the server.

Raises whatever the framework raises when it refuses the tool's schema or the arguments."""


def convert_main(convert: Convert, model_sees: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """argv[1] is a JSON job: {"tools": [tools/list entries], "calls": [{"tool": name, "arguments": {...}}]}.

    Offline: the framework's own conversion of our input schemas, no server. Prints {"schemas": {tool: the
    schema the framework hands its model}, "calls": [{"sent": arguments} or {"refused": why}, one per call]}.
    """
    job = json.loads(sys.argv[1])
    tools = {tool["name"]: tool for tool in job["tools"]}
    calls: list[dict[str, Any]] = []
    for call in job["calls"]:
        try:
            calls.append({"sent": convert(tools[call["tool"]], call["arguments"])})
        except Exception as err:  # the framework's refusal, whatever its type, is the answer
            calls.append({"refused": f"{type(err).__name__}: {err}"})
    schemas: dict[str, dict[str, Any]] = {}
    for name, tool in tools.items():
        try:
            schemas[name] = model_sees(tool)
        except Exception as err:
            schemas[name] = {"refused": f"{type(err).__name__}: {err}"}
    print(json.dumps({"schemas": schemas, "calls": calls}, ensure_ascii=False, default=str))
