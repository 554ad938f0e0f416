// params: none
// returns: nothing; audit entries have unique sequence numbers (also indexes them)
CREATE CONSTRAINT graphrisk_audit_seq IF NOT EXISTS
FOR (e:GraphRiskAuditEntry) REQUIRE e.seq IS UNIQUE
