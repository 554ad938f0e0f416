// params: none
// returns: nothing
CREATE CONSTRAINT score_run_id IF NOT EXISTS FOR (r:ScoreRun) REQUIRE r.run_id IS UNIQUE
