// params: none (template: __NAME__, __LABEL__, __KEY__ from graphrisk.domain)
// returns: nothing; a uniqueness constraint (and its index) on a node label's business id
CREATE CONSTRAINT __NAME__ IF NOT EXISTS FOR (n:__LABEL__) REQUIRE n.__KEY__ IS UNIQUE
