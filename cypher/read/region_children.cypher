// params: $ids: ids of the parents; $columns: the child's property keys to return, in order
// (template: __FROM_LABEL__ the parent, __FROM_KEY__ its key, __REL__, __LABEL__)
// returns: row per child node whose own __FROM_KEY__ names the parent: an owner's
// accounts (not those they co-hold), a customer's disputes and features, an account's loans
// and changes
UNWIND $ids AS id
MATCH (p:__FROM_LABEL__ {__FROM_KEY__: id}) USING INDEX p:__FROM_LABEL__(__FROM_KEY__)
MATCH (p)-[:__REL__]->(n:__LABEL__)
WHERE n.__FROM_KEY__ = id
RETURN [k IN $columns | n[k]] AS row
