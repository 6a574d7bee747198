"use client";

import { indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { Compartment, EditorState } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import { EditorView, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { useEffect, useRef } from "react";

import type { LineError } from "@/lib/yaml-errors";

export interface CodeEditorProps {
  value: string;
  onChange: (value: string) => void;
  errors?: LineError[];
  readOnly?: boolean;
  onSave?: () => void;
  label: string;
  /** id of the text that explains the keys (Esc then Tab leaves the editor) */
  describedBy?: string;
  minHeight?: string;
}

function isDark(): boolean {
  return document.documentElement.classList.contains("dark");
}

/**
 * CodeMirror 6 with YAML highlighting; server validation errors appear as line diagnostics.
 * Tab indents (indentWithTab); as CodeMirror advises for keyboard users, Escape then Tab (or Shift+Tab)
 * moves focus out of the editor, and the wrapper shows a focus ring while the editor has focus.
 */
export default function CodeEditor({
  value, onChange, errors, readOnly, onSave, label, describedBy, minHeight = "24rem",
}: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const theme = useRef(new Compartment());
  const editable = useRef(new Compartment());
  const latest = useRef({ onChange, onSave });
  latest.current = { onChange, onSave };

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          yaml(),
          lintGutter(),
          keymap.of([
            indentWithTab,
            { key: "Mod-s", preventDefault: true, run: () => { latest.current.onSave?.(); return true; } },
          ]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ "aria-label": label, ...(describedBy ? { "aria-describedby": describedBy } : {}) }),
          EditorView.theme({
            "&": { minHeight },
            // The wrapper draws the focus ring (focus-within), brighter than CodeMirror's dotted outline.
            "&.cm-focused": { outline: "none" },
            ".cm-scroller": { minHeight, fontFamily: "var(--font-mono)" },
          }),
          theme.current.of(isDark() ? oneDark : []),
          editable.current.of([EditorState.readOnly.of(!!readOnly), EditorView.editable.of(!readOnly)]),
        ],
      }),
    });
    view.current = v;
    // Follow the page's dark mode switch.
    const observer = new MutationObserver(() => {
      v.dispatch({ effects: theme.current.reconfigure(isDark() ? oneDark : []) });
    });
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    return () => {
      observer.disconnect();
      v.destroy();
      view.current = null;
    };
    // The editor is created once; value/readOnly changes are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({
      effects: editable.current.reconfigure([EditorState.readOnly.of(!!readOnly), EditorView.editable.of(!readOnly)]),
    });
  }, [readOnly]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc;
    const diagnostics: Diagnostic[] = (errors ?? []).map((e) => {
      const line = doc.line(Math.min(Math.max(e.line, 1), doc.lines));
      const from = e.column ? Math.min(line.from + e.column - 1, line.to) : line.from;
      return { from, to: line.to > from ? line.to : from, severity: "error", message: e.message, source: "sdmd" };
    });
    v.dispatch(setDiagnostics(v.state, diagnostics));
  }, [errors]);

  return (
    <div
      ref={host}
      className="overflow-hidden rounded-md border focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-ring"
      data-testid="code-editor"
    />
  );
}
