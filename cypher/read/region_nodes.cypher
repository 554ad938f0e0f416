// params: $ids: business ids; $columns: the property keys to return, in order
// (template: __LABEL__, __KEY__)
// returns: row (values in $columns order) per node that exists
UNWIND $ids AS id
MATCH (n:__LABEL__ {__KEY__: id}) USING INDEX n:__LABEL__(__KEY__)
RETURN [k IN $columns | n[k]] AS row
