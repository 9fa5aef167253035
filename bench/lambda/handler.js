// The Node.js handler both Lambda benchmark scenarios serve: behind Portcullis's aws_proxy
// integration (runtime: nodejs22.x, the host's bootstrap) and behind serverless-offline
// (bench/serverless.yml). It answers the smallest proxy response, so what is measured is the
// gateway and the runtime, not the handler.
'use strict';

exports.handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'text/plain' },
  body: 'ok\n',
});
