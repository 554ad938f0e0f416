// params: none
// returns: nothing; score history is looked up by customer
CREATE INDEX risk_score_customer IF NOT EXISTS FOR (s:RiskScore) ON (s.customer_id)
