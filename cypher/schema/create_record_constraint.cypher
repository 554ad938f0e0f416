// params: none
// returns: nothing; one GraphRiskRecord per (kind, key) (also indexes them)
CREATE CONSTRAINT graphrisk_record_key IF NOT EXISTS
FOR (r:GraphRiskRecord) REQUIRE (r.kind, r.key) IS UNIQUE
