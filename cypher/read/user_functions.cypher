// params: none
// returns: name of every function a plugin adds (APOC, GDS); the read-only query guard looks for the unsafe ones among them in a query's plan
SHOW FUNCTIONS YIELD name, isBuiltIn
WHERE NOT isBuiltIn
RETURN name
