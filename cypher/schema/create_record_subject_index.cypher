// params: none
// returns: nothing; records are looked up by kind and subject (a customer's cases)
CREATE INDEX graphrisk_record_subject IF NOT EXISTS FOR (r:GraphRiskRecord) ON (r.kind, r.subject)
