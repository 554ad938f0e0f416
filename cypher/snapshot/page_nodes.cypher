// params: $after: the last id of the previous page ('' for the first); $page: page size;
// $columns: the property keys to return, in order
// returns: one record: n (nodes in the page), last_key (the page's last id), rows (one list
// of values per node, in $columns order, in id order) (template: __LABEL__, __KEY__)
// Why lists in one record: a record or a map per row costs the driver far more than a list.
MATCH (n:__LABEL__) WHERE n.__KEY__ > $after
WITH n ORDER BY n.__KEY__ LIMIT $page
RETURN count(n) AS n, collect(n.__KEY__)[-1] AS last_key,
       collect([k IN $columns | n[k]]) AS rows
