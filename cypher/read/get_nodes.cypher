// params: $ids: business ids (template: __LABEL__, __KEY__)
// returns: id, properties of each node that exists
UNWIND $ids AS id
MATCH (n:__LABEL__ {__KEY__: id}) USING INDEX n:__LABEL__(__KEY__)
RETURN id, properties(n) AS properties
