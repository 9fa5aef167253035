-- The API key of bench/run.sh's usage plan.
wrk.headers["x-api-key"] = "bench-api-key-0123456789abcdef"
