// params: $after: the last id of the previous page ('' for the first); $page: page size;
// $columns: the property keys to return, in order
// returns: one record: n (nodes in the page), last_key (the page's last id), columns (one list
// per key of $columns: that property of every node of the page, in id order)
// (template: __LABEL__, __KEY__)
// Why a list per column in one record: a record or a map per row costs the driver far more
// than a list, and one list per column less again than one per row.
MATCH (n:__LABEL__) WHERE n.__KEY__ > $after
WITH n ORDER BY n.__KEY__ LIMIT $page
WITH collect(n) AS nodes
RETURN size(nodes) AS n, nodes[-1].__KEY__ AS last_key,
       [k IN $columns | [node IN nodes | node[k]]] AS columns
