"""A Python handler, as written for Lambda's Python runtime."""
import os
import time

ENV = [
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_REGION", "AWS_EXECUTION_ENV", "_HANDLER", "LAMBDA_TASK_ROOT", "TZ", "_X_AMZN_TRACE_ID",
    "AWS_LAMBDA_LOG_GROUP_NAME", "CARGO_MANIFEST_DIR",
]


def handler(event, context):
    action = event.get("action")
    if action == "raise":
        raise ValueError("python says no")
    if action == "sleep":
        time.sleep(event["seconds"])
    print("hello from python")
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "remaining": context.get_remaining_time_in_millis(),
        "identity": context.identity.cognito_identity_id,
        "log_stream": context.log_stream_name,
        "env": {k: os.environ.get(k) for k in ENV},
        "pid": os.getpid(),
    }
