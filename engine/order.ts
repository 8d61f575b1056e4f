/**
 * Strings in UTF-16 code-unit order: what JavaScript's `<` gives, whatever the
 * locale or the database's collation. Reports list leads, rules and event
 * types in this order so that the same input gives the same bytes.
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
