// Placeholder: replaced by its real module in this change.
export function mountPolls(container) {
  container.textContent = "…";
  return () => {};
}
