// params: $run_id; $rows: list of {customer_id, score, tier, reasons (list of strings),
// components (JSON text of {component: value}, or null)}
// returns: nothing; (Customer)-[:HAS_SCORE]->(RiskScore) per customer and run, replacing the
// scores the run already has for these customers (a run id written again)
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
MERGE (s:RiskScore {run_id: $run_id, customer_id: row.customer_id})
SET s.score = row.score, s.tier = row.tier, s.reasons = row.reasons,
    s.components = row.components
MERGE (c)-[:HAS_SCORE]->(s)
