// params: $load_id
// returns: source, batch_index of every committed batch of the load
MATCH (b:GraphRiskLoadBatch {load_id: $load_id})
RETURN b.source AS source, b.batch_index AS batch_index
