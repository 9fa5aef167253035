// A Node.js Lambda proxy handler for the gateway's aws_proxy tests, run by the host's Node.js
// bootstrap (`runtime: nodejs22.x`). The path parameter `action` says how to answer:
//   echo      200, the event as the body (and the request's multi-value parts echoed as headers)
//   binary    200, the request body (base64 in the event) sent back as binary
//   error     the handler throws (a function error)
//   exit      the process exits mid-invocation (a crash)
//   sleep     waits `?ms=` milliseconds, then answers like echo
//   malformed an answer that is not a proxy response
'use strict';

exports.handler = async (event, context) => {
  const action = (event.pathParameters || {}).action;
  switch (action) {
    case 'binary':
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/octet-stream' },
        body: event.isBase64Encoded ? event.body : Buffer.from(event.body || '').toString('base64'),
        isBase64Encoded: true,
      };
    case 'error':
      throw new TypeError('the unicorn is lost');
    case 'exit':
      process.exit(3);
      break;
    case 'sleep': {
      const ms = Number((event.queryStringParameters || {}).ms || 0);
      await new Promise((resolve) => setTimeout(resolve, ms));
      break;
    }
    case 'malformed':
      return { status: 200, payload: 'not a proxy response' };
    default:
      break;
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-request-id': context.awsRequestId },
    multiValueHeaders: { 'x-echo': ['one', 'two'] },
    body: JSON.stringify(event),
    isBase64Encoded: false,
  };
};
