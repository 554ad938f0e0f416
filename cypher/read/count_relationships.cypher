// params: $with_role: true counts account holders (OWNS with a role), false every
// relationship of the type, null both kinds (template: __TYPE__)
// returns: n
MATCH ()-[r:__TYPE__]->()
WHERE $with_role IS NULL OR (r.role IS NOT NULL) = $with_role
RETURN count(r) AS n
