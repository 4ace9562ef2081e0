// The passage a person selected in the consultation's text, as UTF-16 offsets of that text.
// The text element holds only the text's characters (some inside <mark> elements for the
// passages already commented on), so the length of a DOM range's string from the element's
// start to a boundary point is that point's offset in the text.

/** [from, to) of the selection clipped to `element`, or null when nothing of it is selected. */
export function selectedRange(element) {
  const selection = globalThis.getSelection?.();
  if (!selection || !selection.rangeCount || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!range.intersectsNode(element)) return null;
  const whole = document.createRange();
  whole.selectNodeContents(element);
  const startsBefore = range.compareBoundaryPoints(Range.START_TO_START, whole) < 0;
  const endsAfter = range.compareBoundaryPoints(Range.END_TO_END, whole) > 0;
  const from = startsBefore ? 0 : offsetOf(element, range.startContainer, range.startOffset);
  const to = endsAfter ? whole.toString().length : offsetOf(element, range.endContainer, range.endOffset);
  return to > from ? { from, to } : null;
}

/** Whether the selection is collapsed inside `element` (a click in the text: nothing chosen). */
export function collapsedIn(element) {
  const selection = globalThis.getSelection?.();
  return Boolean(selection && (selection.isCollapsed || !selection.rangeCount) && element.contains(selection.anchorNode));
}

function offsetOf(element, node, offset) {
  const probe = document.createRange();
  probe.selectNodeContents(element);
  probe.setEnd(node, offset);
  return probe.toString().length;
}
