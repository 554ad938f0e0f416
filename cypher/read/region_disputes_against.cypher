// params: $ids: customer ids; $columns: the dispute properties to return, in order
// returns: row per dispute raised against one of those customers (the accused's
// (Dispute)-[:AGAINST]->(Customer)), whoever raised it
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id}) USING INDEX c:Customer(customer_id)
MATCH (d:Dispute)-[:AGAINST]->(c)
RETURN [k IN $columns | d[k]] AS row
