// The terminal's wire protocol (sdmd/live/terminal.py): the access token travels as a WebSocket subprotocol
// (`bearer.<token>`, never in the URL, which ends up in logs), binary frames carry keystrokes and output,
// text frames JSON control messages.

export const PROTOCOL = "sdmd.terminal.v1";
export const SHELLS = ["sh", "bash"] as const;
export type Shell = (typeof SHELLS)[number];

export function terminalUrl(origin: string, serviceId: string, container: string, shell: Shell, cols: number, rows: number): string {
  const url = new URL(`/api/services/${encodeURIComponent(serviceId)}/containers/${encodeURIComponent(container)}/terminal`, origin);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.search = new URLSearchParams({ shell, cols: String(cols), rows: String(rows) }).toString();
  return url.toString();
}

export function subprotocols(token: string): string[] {
  return [PROTOCOL, `bearer.${token}`];
}

export type ControlMessage =
  | { type: "ready"; shell: string; container: string }
  | { type: "exit"; code: number | null; reason: string };

export function parseControl(text: string): ControlMessage | null {
  try {
    const msg = JSON.parse(text) as ControlMessage;
    return msg && (msg.type === "ready" || msg.type === "exit") ? msg : null;
  } catch {
    return null;
  }
}

export function resizeMessage(cols: number, rows: number): string {
  return JSON.stringify({ type: "resize", cols, rows });
}

/** Why a socket closed before it opened: the server refuses with HTTP 403 (origin, token, state). */
export function closeReason(code: number, reason: string): string {
  if (reason) return reason;
  if (code === 1006) return "the connection was refused or lost (check that the container runs and you are logged in)";
  return `closed (${code})`;
}
