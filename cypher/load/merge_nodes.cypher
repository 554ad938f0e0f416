// params: $rows: list of maps, one per row, with the entity's columns
// returns: nothing; upserts nodes of one label by business id (template: __LABEL__, __KEY__).
// SET += with a null value removes that property, as a re-load with an emptied column should.
UNWIND $rows AS row
MERGE (n:__LABEL__ {__KEY__: row.__KEY__})
SET n += row
