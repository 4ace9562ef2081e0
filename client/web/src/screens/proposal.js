// Placeholder: replaced by its real module in this change.
export function showProposal(container) {
  container.textContent = "…";
  return () => {};
}
