// params: $after: the last id of the previous page ('' for the first); $page: page size
// returns: row, the properties of each node, in id order (template: __LABEL__, __KEY__)
MATCH (n:__LABEL__) WHERE n.__KEY__ > $after
WITH n ORDER BY n.__KEY__ LIMIT $page
RETURN n.__KEY__ AS page_key, properties(n) AS row
