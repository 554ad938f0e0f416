// params: $ids: business ids of a batch (template: __LABEL__, __KEY__)
// returns: id of each node that is already stored
UNWIND $ids AS id
MATCH (n:__LABEL__ {__KEY__: id}) USING INDEX n:__LABEL__(__KEY__)
RETURN id
