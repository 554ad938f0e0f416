// params: none
// returns: nothing; one CustomerFeature node per (customer, feature name) (also indexes them)
CREATE CONSTRAINT customer_feature_key IF NOT EXISTS
FOR (f:CustomerFeature) REQUIRE (f.customer_id, f.feature) IS UNIQUE
