import { describe, expect, it } from "vitest";
import { clauses, facetClause, hasClause, quoteValue, toggleFacet } from "../src/lib/query";

describe("facet queries", () => {
  it("maps facets to query fields and quotes values that need it", () => {
    expect(facetClause("media_type", "video")).toBe("type:video");
    expect(facetClause("storage_class", "GLACIER")).toBe("storage:GLACIER");
    expect(facetClause("keywords", "golden hour")).toBe('keywords:"golden hour"');
    expect(facetClause("source", "file:///media/a b")).toBe('source:"file:///media/a b"');
    expect(facetClause("has_duplicates", "yes")).toBe("duplicates:yes");
    expect(quoteValue("")).toBe('""');
  });

  it("clicking a value adds its clause, clicking again removes it", () => {
    let q = toggleFacet("beach", "media_type", "video");
    expect(q).toBe("beach type:video");
    q = toggleFacet(q, "keywords", "golden hour");
    expect(q).toBe('beach type:video keywords:"golden hour"');
    expect(hasClause(q, 'keywords:"golden hour"')).toBe(true);
    q = toggleFacet(q, "media_type", "video");
    expect(q).toBe('beach keywords:"golden hour"');
    expect(toggleFacet("", "codec", "h264")).toBe("codec:h264");
  });

  it("splits clauses keeping phrases whole", () => {
    expect(clauses('a "b c" -d:"e f" g*')).toEqual(["a", '"b c"', '-d:"e f"', "g*"]);
  });
});
