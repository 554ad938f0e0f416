// params: $ids: identifier ids; $columns: the identifier-link columns to return, in order
// returns: row per customer–identifier link of those identifiers (every holder)
UNWIND $ids AS id
MATCH (i:Identifier {identifier_id: id}) USING INDEX i:Identifier(identifier_id)
MATCH (c:Customer)-[r:HAS_IDENTIFIER]->(i)
WITH {customer_id: c.customer_id, kind: i.kind, value: i.value, first_seen: r.first_seen,
      identifier_id: i.identifier_id, raw_value: r.raw_value} AS row
RETURN [k IN $columns | row[k]] AS row
