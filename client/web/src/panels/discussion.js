// Placeholder: replaced by its real module in this change.
export function mountDiscussion(container) {
  container.textContent = "…";
  return () => {};
}
