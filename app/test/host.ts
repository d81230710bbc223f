// A test host: the official AppBridge and PostMessageTransport, with the view in a sandboxed iframe
// under the spec's default CSP, exactly as a host that follows the spec would load it. Tool calls
// from the view are recorded and answered from canned results.

import { AppBridge, PostMessageTransport, type McpUiHostContext } from "@modelcontextprotocol/ext-apps/app-bridge";
import type { CallToolRequest, CallToolResult } from "@modelcontextprotocol/client";

export const DEFAULT_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

export interface ViewOptions {
  html: string;
  csp: boolean;
  width: number;
  hostContext: McpUiHostContext;
  toolInput: Record<string, unknown>;
  toolResult: CallToolResult | null; // null: the host cancels the call instead, for `cancelReason`
  cancelReason?: string;
  responses: Record<string, CallToolResult>;
}

export interface HostState {
  calls: CallToolRequest["params"][];
  heights: number[];
  initialized: boolean;
}

function withCsp(html: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`;
  // First thing in <head>, so the policy covers every element after it.
  return html.replace(/<head>/i, (head) => head + meta);
}

export async function startView(options: ViewOptions): Promise<HostState> {
  const state: HostState = { calls: [], heights: [], initialized: false };
  Object.assign(globalThis, { hostState: state }); // read back by the test driver
  const iframe = document.createElement("iframe");
  iframe.id = "view";
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.style.cssText = `width:${options.width}px;height:120px;border:0;display:block`;
  document.body.append(iframe);
  const bridge = new AppBridge(
    null,
    { name: "astro-mcp test host", version: "1.0.0" },
    { serverTools: {}, logging: {} },
    { hostContext: options.hostContext },
  );
  bridge.oncalltool = async (params) => {
    state.calls.push(params);
    return (
      options.responses[params.name] ?? { isError: true, content: [{ type: "text", text: `no canned result for ${params.name}` }] }
    );
  };
  bridge.onsizechange = ({ height }) => {
    if (height === undefined) return;
    state.heights.push(height);
    iframe.style.height = `${height}px`;
  };
  bridge.oninitialized = () => {
    state.initialized = true;
    void bridge
      .sendToolInput({ arguments: options.toolInput })
      .then(() =>
        options.toolResult ? bridge.sendToolResult(options.toolResult) : bridge.sendToolCancelled({ reason: options.cancelReason }),
      );
  };
  Object.assign(globalThis, { hostBridge: bridge }); // the driver changes the theme and tears the view down
  const window = iframe.contentWindow as Window;
  await bridge.connect(new PostMessageTransport(window, window));
  iframe.srcdoc = options.csp ? withCsp(options.html) : options.html;
  return state;
}

Object.assign(globalThis, { startView });
