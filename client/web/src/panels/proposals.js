// Placeholder: replaced by its real module in this change.
export function mountProposals(container) {
  container.textContent = "…";
  return () => {};
}
