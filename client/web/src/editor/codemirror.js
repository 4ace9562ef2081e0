// The CodeMirror 6 editor bound to a Y.Text with y-codemirror.next: Markdown highlighting,
// remote cursors and selections from awareness, its own undo history (only this person's
// edits), read-only switchable at any time, and highlighted comment passages.
import { markdownKeymap, markdownLanguage } from "@codemirror/lang-markdown";
import { LanguageSupport } from "@codemirror/language";
import { Compartment, EditorState, Prec, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import { keymap } from "@codemirror/view";
import * as Y from "yjs";

/** Replaces the highlighted ranges: [{from, to, id, active}]. */
const setMarks = StateEffect.define();

const marks = StateField.define({
  create: () => Decoration.none,
  update(value, transaction) {
    let next = value.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (!effect.is(setMarks)) continue;
      const size = transaction.state.doc.length;
      const ranges = effect.value
        .map((range) => ({ ...range, from: Math.min(range.from, size), to: Math.min(range.to, size) }))
        .filter((range) => range.to > range.from)
        .sort((a, b) => a.from - b.from || a.to - b.to);
      next = Decoration.set(
        ranges.map((range) =>
          Decoration.mark({
            class: range.active ? "comment-mark comment-mark-active" : "comment-mark",
            attributes: { "data-comment": String(range.id) },
          }).range(range.from, range.to),
        ),
      );
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

// CodeMirror's own styles are inserted by style-mod: into a document as a <style> element
// (refused by our CSP, `style-src 'self'`), into a shadow root as a constructed stylesheet
// (CSSOM, allowed). So the editor lives in an open shadow root, styled by these themes.
const theme = EditorView.theme({
  "&": { minHeight: "16rem", backgroundColor: "#fff" },
  "&.cm-focused": { outline: "3px solid #f0a000", outlineOffset: "1px" },
  ".cm-content": { fontFamily: 'ui-monospace, "Cascadia Mono", "DejaVu Sans Mono", monospace', fontSize: "0.95rem" },
  ".cm-gutters": { backgroundColor: "#f3f5f8", color: "#566074", borderRight: "1px solid #d5dae3" },
  ".comment-mark": { backgroundColor: "#fde7a6", borderBottom: "2px solid #c99a00" },
  ".comment-mark-active": { backgroundColor: "#f7cd52" },
  // a remote caret shows its author's name when it appears or moves, for a few seconds, then
  // on hover (y-codemirror.next shows it on hover only; always shown, names hide the text)
  "@keyframes veche-caret-name": { "0%": { opacity: 1 }, "85%": { opacity: 1 }, "100%": { opacity: 0 } },
  ".cm-ySelectionInfo": {
    fontFamily: "system-ui, sans-serif",
    fontSize: "0.75rem",
    top: "-1.25em",
    animation: "veche-caret-name 4s",
  },
  ".cm-ySelectionCaret:hover > .cm-ySelectionInfo": { opacity: 1, animation: "none" },
  ".cm-ySelectionCaret": { position: "relative" },
});

/**
 * Mounts the editor in `parent`. Returns {view, setReadOnly(bool), setMarks(ranges), destroy}.
 * `onSelection(from, to)` is told of each change of the main selection; `onComment()` runs on
 * Ctrl/Cmd+Alt+M (comment on the selection), true when it did something.
 */
export function mountEditor(
  parent,
  { text, awareness, label, readOnly = false, onSelection = () => {}, onComment = () => false },
) {
  const editable = new Compartment();
  const undoManager = new Y.UndoManager(text);
  const lock = (locked) => [EditorState.readOnly.of(locked), EditorView.editable.of(!locked)];
  const host = document.createElement("div");
  host.className = "editor-host";
  parent.replaceChildren(host);
  const root = host.attachShadow({ mode: "open" });
  const view = new EditorView({
    parent: root,
    root,
    state: EditorState.create({
      doc: text.toString(),
      extensions: [
        basicSetup,
        // Markdown (GFM) without `markdown()`'s HTML support, which would bundle the HTML, CSS
        // and JavaScript parsers (~45 KB gzipped) for HTML tags inside the text
        new LanguageSupport(markdownLanguage),
        EditorView.lineWrapping,
        Prec.high(keymap.of(markdownKeymap)), // continue lists and quotes on Enter
        // Yjs's undo (this person's edits only) before basicSetup's CodeMirror history
        Prec.high(keymap.of([...yUndoManagerKeymap, { key: "Mod-Alt-m", run: () => onComment() }])),
        yCollab(text, awareness, { undoManager }),
        editable.of(lock(readOnly)),
        marks,
        theme,
        EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true" }),
        EditorView.updateListener.of((update) => {
          if (update.selectionSet || update.docChanged) {
            const main = update.state.selection.main;
            onSelection(main.from, main.to);
          }
        }),
      ],
    }),
  });
  return {
    view,
    setReadOnly(locked) {
      view.dispatch({ effects: editable.reconfigure(lock(locked)) });
    },
    setMarks(ranges) {
      view.dispatch({ effects: setMarks.of(ranges) });
    },
    /** The vertical offset of `position` from the editor's top, for the margin. */
    top(position) {
      const block = view.lineBlockAt(Math.min(position, view.state.doc.length));
      return block.top;
    },
    focus() {
      view.focus();
    },
    destroy() {
      view.destroy();
      undoManager.destroy();
    },
  };
}
