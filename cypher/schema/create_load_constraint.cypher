// params: none
// returns: nothing
CREATE CONSTRAINT graphrisk_load_id IF NOT EXISTS FOR (l:GraphRiskLoad) REQUIRE l.load_id IS UNIQUE
