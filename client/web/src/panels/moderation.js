// Placeholder: replaced by its real module in this change.
export function mountModeration(container) {
  container.textContent = "…";
  return () => {};
}
