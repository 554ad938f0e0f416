// params: $customer_id, $label, $source (null removes the property)
// returns: found, 1 when the customer exists (and was written), else 0
OPTIONAL MATCH (c:Customer {customer_id: $customer_id})
SET c.known_risk_label = $label, c.known_risk_source = $source
RETURN count(c) AS found
