// params: $rows: list of maps (customer_id, feature, value)
// returns: nothing; (Customer)-[:HAS_FEATURE]->(CustomerFeature) per (customer, feature), the
// value set on the node, so re-loading a row updates it in place
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
MERGE (f:CustomerFeature {customer_id: row.customer_id, feature: row.feature})
SET f.value = row.value
MERGE (c)-[:HAS_FEATURE]->(f)
