// params: none
// returns: nothing; one stored score per (scoring run, customer)
CREATE CONSTRAINT risk_score_run_customer IF NOT EXISTS
FOR (s:RiskScore) REQUIRE (s.run_id, s.customer_id) IS UNIQUE
