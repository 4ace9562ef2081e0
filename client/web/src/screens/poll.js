// Placeholder: replaced by its real module in this change.
export function showPoll(container) {
  container.textContent = "…";
  return () => {};
}
