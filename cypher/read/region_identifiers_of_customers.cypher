// params: $ids: customer ids; $columns: the identifier-link columns to return, in order
// returns: row per customer–identifier link of those customers
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id}) USING INDEX c:Customer(customer_id)
MATCH (c)-[r:HAS_IDENTIFIER]->(i:Identifier)
WITH {customer_id: c.customer_id, kind: i.kind, value: i.value, first_seen: r.first_seen,
      identifier_id: i.identifier_id, raw_value: r.raw_value} AS row
RETURN [k IN $columns | row[k]] AS row
