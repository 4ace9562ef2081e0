// Placeholder: replaced by its real module in this change.
export function mountPeople(container) {
  container.textContent = "…";
  return () => {};
}
