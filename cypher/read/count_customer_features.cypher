// params: none
// returns: n, the number of CustomerFeature nodes (one per customer_features row)
MATCH (f:CustomerFeature) RETURN count(f) AS n
