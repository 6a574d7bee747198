"use client";

// Loaded only when the Terminal tab opens (next/dynamic in service-detail.tsx): xterm.js stays out of
// every page's first load.
import "@xterm/xterm/css/xterm.css";

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { Plug, Unplug } from "lucide-react";
import { useEffect, useRef, useState } from "react";

import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { raw } from "@/lib/api/client";
import type { Service } from "@/lib/api/types";
import { session } from "@/lib/auth/session";
import { closeReason, parseControl, resizeMessage, SHELLS, subprotocols, terminalUrl, type Shell } from "@/lib/live/terminal";

type Phase = "idle" | "connecting" | "open" | "closed";

export function TerminalPanel({ service, initialContainer }: { service: Service; initialContainer?: string | null }) {
  const running = service.containers.filter((c) => c.state === "running");
  const [container, setContainer] = useState(initialContainer && running.some((c) => c.name === initialContainer)
    ? initialContainer : running[0]?.name ?? "");
  const [shell, setShell] = useState<Shell>("sh");
  const [phase, setPhase] = useState<Phase>("idle");
  const [message, setMessage] = useState("");
  const [session_, setSession] = useState(0); // bump to connect
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!session_ || !container || !host.current) return;
    const term = new Terminal({ cursorBlink: true, fontSize: 13, convertEol: false, scrollback: 5000,
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", theme: { background: "#0b0f14" } });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current);
    fit.fit();
    let socket: WebSocket | null = null;
    let disposed = false;
    setPhase("connecting");
    setMessage("");

    const connect = async () => {
      await raw("/auth/user").catch(() => undefined); // refreshes the access token if it is about to expire
      const token = session.tokens?.access_token;
      if (disposed) return;
      if (!token) {
        setPhase("closed");
        setMessage("log in again to open a terminal");
        return;
      }
      socket = new WebSocket(terminalUrl(window.location.origin, service.id, container, shell, term.cols, term.rows),
        subprotocols(token));
      socket.binaryType = "arraybuffer";
      const encoder = new TextEncoder();
      socket.onmessage = (ev) => {
        if (typeof ev.data === "string") {
          const msg = parseControl(ev.data);
          if (msg?.type === "ready") {
            setPhase("open");
            term.focus();
          } else if (msg?.type === "exit") {
            setMessage(`${msg.reason}${msg.code !== null && msg.code !== undefined ? ` (exit code ${msg.code})` : ""}`);
          }
          return;
        }
        term.write(new Uint8Array(ev.data as ArrayBuffer));
      };
      socket.onclose = (ev) => {
        setPhase("closed");
        setMessage((m) => m || closeReason(ev.code, ev.reason));
      };
      term.onData((data) => {
        if (socket?.readyState === WebSocket.OPEN) socket.send(encoder.encode(data));
      });
      term.onResize(({ cols, rows }) => {
        if (socket?.readyState === WebSocket.OPEN) socket.send(resizeMessage(cols, rows));
      });
    };
    void connect();
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host.current);
    return () => {
      disposed = true;
      observer.disconnect();
      socket?.close(); // the server ends the shell in the container
      term.dispose();
    };
  }, [session_]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!service.managed) {
    return <p className="text-sm text-muted-foreground">Terminals open only into services sdmd manages.</p>;
  }
  if (!running.length) {
    return <p className="text-sm text-muted-foreground" data-testid="terminal-none">No container of this service is running.</p>;
  }
  const connected = phase === "connecting" || phase === "open";
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-3">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="term-container">Container</Label>
          <NativeSelect id="term-container" value={container} disabled={connected} onChange={(e) => setContainer(e.target.value)}
            className="w-56" data-testid="terminal-container">
            {running.map((c) => <option key={c.id} value={c.name}>{c.name}</option>)}
          </NativeSelect>
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="term-shell">Shell</Label>
          <NativeSelect id="term-shell" value={shell} disabled={connected} onChange={(e) => setShell(e.target.value as Shell)}
            className="w-28" data-testid="terminal-shell">
            {SHELLS.map((s) => <option key={s} value={s}>{s}</option>)}
          </NativeSelect>
        </div>
        {connected ? (
          <Button variant="outline" size="sm" onClick={() => setSession(0)} data-testid="terminal-disconnect">
            <Unplug aria-hidden /> Disconnect
          </Button>
        ) : (
          <Button size="sm" onClick={() => setSession((n) => n + 1)} data-testid="terminal-connect">
            <Plug aria-hidden /> {phase === "closed" ? "Reconnect" : "Connect"}
          </Button>
        )}
        <p className="pb-2 text-xs text-muted-foreground" aria-live="polite" data-testid="terminal-status" data-phase={phase}>
          {phase === "open" ? `connected to ${container} (${shell})` : phase === "connecting" ? "connecting…" : message}
        </p>
      </div>
      <div ref={host} className="h-[60vh] min-h-64 overflow-hidden rounded-md border bg-[#0b0f14] p-1" data-testid="terminal"
        aria-label={`Terminal in ${container}`} />
    </div>
  );
}
