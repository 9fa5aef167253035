-- A token the TOKEN authorizer of examples/functions/token-authorizer allows (one cache entry).
wrk.headers["Authorization"] = "allow:bench"
