// params: $load_id, $source, $batch_index, $rows (count)
// returns: nothing; the checkpoint, written in the same transaction as its batch
MERGE (b:GraphRiskLoadBatch {load_id: $load_id, source: $source, batch_index: $batch_index})
SET b.rows = $rows, b.committed_at = toString(datetime.truncate('second', datetime()))
