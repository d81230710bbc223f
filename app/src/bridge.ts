// The view's side of MCP Apps (spec 2026-01-26): JSON-RPC 2.0 over postMessage with the host window.
// The official App class would do this too, but it brings the whole MCP client and zod (600 KB); the
// view needs only the handshake, three notifications, one request and size reports, so they are here.
// The types are the official ones, imported as types only (nothing of them reaches the bundle).

import type { McpUiHostContext } from "@modelcontextprotocol/ext-apps";
import type { CallToolResult } from "@modelcontextprotocol/client";

export const PROTOCOL_VERSION = "2026-01-26";
const TIMEOUT_MS = 60_000;

type Id = number | string;
type Json = Record<string, unknown>;
interface Message {
  jsonrpc: "2.0";
  id?: Id;
  method?: string;
  params?: Json;
  result?: Json;
  error?: { code: number; message: string };
}

export interface Handlers {
  toolInput(args: Json | undefined): void;
  toolResult(result: CallToolResult): void;
  toolCancelled(reason: string | undefined): void;
  hostContext(context: McpUiHostContext): void;
}

/** What a host sends is data from another window: only well-formed JSON-RPC 2.0 messages are read. */
export function asMessage(data: unknown): Message | null {
  if (typeof data !== "object" || data === null || (data as Message).jsonrpc !== "2.0") return null;
  const m = data as Message;
  const object = (v: unknown): boolean => v === undefined || (typeof v === "object" && v !== null && !Array.isArray(v));
  if (m.method !== undefined && typeof m.method !== "string") return null;
  if (m.id !== undefined && typeof m.id !== "number" && typeof m.id !== "string") return null;
  return object(m.params) && object(m.result) && object(m.error) ? m : null;
}

export class Bridge {
  private nextId = 1;
  private readonly pending = new Map<Id, { resolve: (r: Json) => void; reject: (e: Error) => void }>();
  private context: McpUiHostContext = {};

  constructor(
    private readonly handlers: Handlers,
    private readonly host: Window = window.parent,
  ) {
    window.addEventListener("message", (event) => {
      const message = event.source === this.host ? asMessage(event.data) : null;
      if (message) this.receive(message);
    });
  }

  /** The handshake: `ui/initialize`, its answer, then `ui/notifications/initialized`; then size reports. */
  async connect(appInfo: { name: string; version: string }): Promise<void> {
    const answer = await this.request("ui/initialize", { appInfo, appCapabilities: {}, protocolVersion: PROTOCOL_VERSION });
    this.updateContext((answer.hostContext ?? {}) as McpUiHostContext);
    this.send({ method: "ui/notifications/initialized", params: {} });
    this.reportSize();
  }

  async callTool(name: string, args: Json): Promise<CallToolResult> {
    return (await this.request("tools/call", { name, arguments: args })) as CallToolResult;
  }

  request(method: string, params: Json): Promise<Json> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, { error: { code: -32001, message: `${method}: no answer from the host` } }), TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.send({ id, method, params });
    });
  }

  private send(message: Omit<Message, "jsonrpc">): void {
    this.host.postMessage({ jsonrpc: "2.0", ...message }, "*"); // the sandboxed frame's origin is opaque
  }

  private settle(id: Id, message: Pick<Message, "result" | "error">): void {
    const waiting = this.pending.get(id);
    this.pending.delete(id);
    if (message.error) waiting?.reject(new Error(String(message.error.message)));
    else waiting?.resolve(message.result ?? {});
  }

  private receive(m: Message): void {
    const params = m.params ?? {};
    if (m.method === undefined) {
      if (m.id !== undefined) this.settle(m.id, m); // an answer to one of ours
    } else if (m.id === undefined) {
      if (m.method === "ui/notifications/tool-input") this.handlers.toolInput(params.arguments as Json | undefined);
      else if (m.method === "ui/notifications/tool-result") this.handlers.toolResult(params as unknown as CallToolResult);
      else if (m.method === "ui/notifications/tool-cancelled") this.handlers.toolCancelled(typeof params.reason === "string" ? params.reason : undefined);
      else if (m.method === "ui/notifications/host-context-changed") this.updateContext(params as McpUiHostContext);
    } else if (m.method === "ui/resource-teardown" || m.method === "ping") {
      this.send({ id: m.id, result: {} }); // nothing to save or release: an acknowledgement is all
    } else {
      this.send({ id: m.id, error: { code: -32601, message: `Method not found: ${m.method}` } });
    }
  }

  private updateContext(change: McpUiHostContext): void {
    this.context = { ...this.context, ...change };
    this.handlers.hostContext(this.context);
  }

  /** Tells the host the document's height (and width) whenever it changes, once per frame at most. */
  private reportSize(): void {
    let queued = false;
    let last = "";
    const measure = (): void => {
      queued = false;
      const doc = document.documentElement;
      const saved = doc.style.height;
      doc.style.height = "max-content"; // the content's own height, not the frame's
      const size = { width: Math.ceil(window.innerWidth), height: Math.ceil(doc.getBoundingClientRect().height) };
      doc.style.height = saved;
      if (JSON.stringify(size) === last) return;
      last = JSON.stringify(size);
      this.send({ method: "ui/notifications/size-changed", params: size });
    };
    const queue = (): void => {
      if (!queued) requestAnimationFrame(measure);
      queued = true;
    };
    const observer = new ResizeObserver(queue);
    observer.observe(document.documentElement);
    observer.observe(document.body);
    queue();
  }
}
