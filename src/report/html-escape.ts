// HTML escaping for the report page: every journal string passes through here before it reaches markup.

/** Text and attribute values (double- or single-quoted): the five markup characters become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The fragment a step's details are reached at (`#step-<id>`), from any id text. */
export function stepAnchor(id: string): string {
  return `step-${encodeURIComponent(id)}`;
}

/** A CSS class for a status word (`not run` → `st-not-run`). */
export function statusClass(status: string): string {
  return `st-${status.replace(/[^a-z]+/g, '-')}`;
}
