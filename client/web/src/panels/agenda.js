// Placeholder: replaced by its real module in this change.
export function mountAgenda(container) {
  container.textContent = "…";
  return () => {};
}
