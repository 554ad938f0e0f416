// params: $rows: list of maps for nodes not yet stored (template: __LABEL__)
// returns: nothing; CREATE is safe because the caller checked, in the same transaction, that
// none exists (the uniqueness constraint guards the rest), and faster than MERGE on first loads
UNWIND $rows AS row
CREATE (n:__LABEL__)
SET n = row
