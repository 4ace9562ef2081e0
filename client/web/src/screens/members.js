// Placeholder: replaced by its real module in this change.
export function showMembers(container) {
  container.textContent = "…";
  return () => {};
}
