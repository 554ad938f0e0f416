// params: $rows: list of maps (customer_id, identifier_id, kind, value, raw_value, first_seen)
// returns: nothing; one Identifier node per normalised identifier, linked to each customer
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
MERGE (i:Identifier {identifier_id: row.identifier_id})
ON CREATE SET i.kind = row.kind, i.value = row.value
MERGE (c)-[r:HAS_IDENTIFIER]->(i)
SET r.raw_value = row.raw_value, r.first_seen = row.first_seen
