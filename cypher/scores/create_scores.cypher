// params: $run_id (a run with no scores stored yet); $rows: list of {customer_id, score, tier,
// reasons (list of strings), components (JSON text of {component: value}, or null)}
// returns: nothing; (Customer)-[:HAS_SCORE]->(RiskScore) per customer
// Why CREATE: the run is new, so none of its scores can exist; MERGE would look each one up.
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
CREATE (c)-[:HAS_SCORE]->(:RiskScore {run_id: $run_id, customer_id: row.customer_id,
                                      score: row.score, tier: row.tier, reasons: row.reasons,
                                      components: row.components})
