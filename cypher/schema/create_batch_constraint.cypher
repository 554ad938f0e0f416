// params: none
// returns: nothing; one checkpoint node per (load, file, batch)
CREATE CONSTRAINT graphrisk_load_batch IF NOT EXISTS
FOR (b:GraphRiskLoadBatch) REQUIRE (b.load_id, b.source, b.batch_index) IS UNIQUE
