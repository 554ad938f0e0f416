// params: none
// returns: nothing; one counter node per name, so that MERGE on it never makes two
CREATE CONSTRAINT graphrisk_audit_counter IF NOT EXISTS
FOR (c:GraphRiskAuditCounter) REQUIRE c.name IS UNIQUE
