// params: none
// returns: nothing; transaction ids are unique across TRANSFERRED relationships (also indexes them)
CREATE CONSTRAINT transferred_transaction_id IF NOT EXISTS
FOR ()-[r:TRANSFERRED]-() REQUIRE r.transaction_id IS UNIQUE
