// Building queries from facet clicks. The query language itself is the engine's
// (crates/trove-search/QUERY.md); the UI only adds or removes `field:value` clauses.

/** Facet name (as the engine counts them) → the query field that filters on it. */
export const FACET_FIELDS: Readonly<Record<string, string>> = {
  media_type: "type",
  codec: "codec",
  resolution: "resolution",
  source: "source",
  storage_class: "storage",
  state: "state",
  keywords: "keywords",
  has_duplicates: "duplicates",
};

/** A value as the query language needs it: quoted when it holds spaces, quotes or colons. */
export function quoteValue(value: string): string {
  if (value !== "" && /^[^\s":()]+$/.test(value)) {
    return value;
  }
  return `"${value.replace(/"/g, "")}"`;
}

/** The clause that filters `facet` to `value`. */
export function facetClause(facet: string, value: string): string {
  const field = FACET_FIELDS[facet] ?? facet;
  const shown = facet === "has_duplicates" ? (value === "true" ? "yes" : value === "false" ? "no" : value) : value;
  return `${field}:${quoteValue(shown)}`;
}

/** Splits a query into clauses, keeping quoted phrases whole. */
export function clauses(query: string): string[] {
  return query.match(/-?[^\s"]*"[^"]*"?|\S+/g) ?? [];
}

/** Whether the query already holds `clause` (field names compared case-insensitively). */
export function hasClause(query: string, clause: string): boolean {
  const wanted = clause.toLowerCase();
  return clauses(query).some((c) => c.toLowerCase() === wanted);
}

/** Adds the facet's clause, or removes it when it is there: clicking a value toggles it. */
export function toggleFacet(query: string, facet: string, value: string): string {
  const clause = facetClause(facet, value);
  const wanted = clause.toLowerCase();
  const current = clauses(query);
  if (current.some((c) => c.toLowerCase() === wanted)) {
    return current.filter((c) => c.toLowerCase() !== wanted).join(" ");
  }
  return [...current, clause].join(" ");
}
