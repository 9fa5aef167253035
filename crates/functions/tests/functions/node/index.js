// An async Lambda handler, as written for Lambda's Node.js runtime.
exports.handler = async (event, context) => {
  switch (event.action) {
    case 'throw':
      throw new TypeError('node says no');
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      break;
    case 'exit':
      process.exit(event.code);
      break;
    default:
  }
  console.log('hello from node', { n: 1 });
  return {
    event,
    awsRequestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    identity: context.identity || null,
    clientContext: context.clientContext || null,
    traceId: process.env._X_AMZN_TRACE_ID || null,
    executionEnv: process.env.AWS_EXECUTION_ENV,
    taskRoot: process.env.LAMBDA_TASK_ROOT,
    handler: process.env._HANDLER,
    pid: process.pid,
  };
};
