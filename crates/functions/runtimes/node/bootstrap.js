// Portcullis's Node.js runtime: runs an unmodified Lambda handler against the Lambda Runtime API
// (version 2018-06-01) at AWS_LAMBDA_RUNTIME_API, the way Lambda's own Node.js runtime does.
//
// No npm dependencies: Node's `http` module only. The function host embeds this file in its
// binary and writes it to LAMBDA_RUNTIME_DIR at start.
//
// _HANDLER is `path/module.export[.nested]`; the module is looked up in LAMBDA_TASK_ROOT as
// `.js`, `.mjs` or `.cjs` (ES modules through dynamic `import()`, as is a `.js` file under a
// package.json with "type": "module"), then through Node's own resolution. Handlers may be
// async (return a promise) or take a callback `(event, context, callback)`. Errors are posted as
// `{errorType, errorMessage, trace}` with `Lambda-Runtime-Function-Error-Type`, as Lambda's Node.js
// runtime does; a failure to load the handler goes to /init/error and the process exits.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const [apiHost, apiPort] = (process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001').split(':');
const BASE = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const TASK_ROOT = process.env.LAMBDA_TASK_ROOT || process.cwd();

let currentRequestId = null;

// One Runtime API call; resolves with {status, headers, body}. No timeout: /next long-polls.
function call(method, route, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: apiHost, port: Number(apiPort), method, path: BASE + route, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Lambda's console: every line gets a timestamp, the request id and a level, and a multi-line
// message stays one log event (its newlines become carriage returns).
function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      const message = util.format(...args).replace(/\n/g, '\r');
      const id = currentRequestId || 'undefined';
      process.stdout.write(`${new Date().toISOString()}\t${id}\t${level}\t${message}\n`);
    };
  }
}

function errorDocument(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
    };
  }
  // Lambda reports a thrown non-Error by its JavaScript type.
  let message;
  try { message = typeof err === 'string' ? err : JSON.stringify(err); } catch (_) { message = String(err); }
  return { errorType: typeof err, errorMessage: message, trace: [] };
}

class InitError extends Error {
  constructor(type, message, cause) {
    super(message);
    this.name = type;
    if (cause && cause.stack) this.stack = `${type}: ${message}\n${cause.stack}`;
  }
}

function isModulePackage(dir) {
  // The nearest package.json decides whether `.js` is an ES module.
  for (let d = dir; ; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(pkg)) {
      try { return JSON.parse(fs.readFileSync(pkg, 'utf8')).type === 'module'; } catch (_) { return false; }
    }
    if (d === path.dirname(d) || d === path.dirname(TASK_ROOT)) return false;
  }
}

async function loadModule(moduleName) {
  const base = path.resolve(TASK_ROOT, moduleName);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (!fs.existsSync(file)) continue;
    const esm = ext === '.mjs' || (ext === '.js' && isModulePackage(path.dirname(file)));
    if (esm) return import(pathToFileURL(file).href);
    try {
      return require(file);
    } catch (e) {
      if (e && e.code === 'ERR_REQUIRE_ESM') return import(pathToFileURL(file).href);
      throw e;
    }
  }
  // Not a file in the task root: Node's resolution (node_modules, a package name).
  return require(require.resolve(moduleName, { paths: [TASK_ROOT] }));
}

async function loadHandler() {
  const spec = process.env._HANDLER || '';
  const slash = spec.lastIndexOf('/');
  const dir = spec.slice(0, slash + 1);
  const tail = spec.slice(slash + 1);
  const dot = tail.indexOf('.');
  if (dot <= 0 || dot === tail.length - 1) {
    throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${spec}`);
  }
  const moduleName = dir + tail.slice(0, dot);
  const exportPath = tail.slice(dot + 1).split('.');
  let mod;
  try {
    mod = await loadModule(moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new InitError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`, e);
    }
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new InitError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'`, e);
    }
    throw e;
  }
  let handler = mod;
  for (const key of exportPath) handler = handler == null ? undefined : handler[key];
  if (typeof handler !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  }
  return handler;
}

function parseHeader(value) {
  if (!value) return undefined;
  try { return JSON.parse(value); } catch (_) { return undefined; }
}

function makeContext(headers, settle) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parseHeader(headers['lambda-runtime-cognito-identity']),
    clientContext: parseHeader(headers['lambda-runtime-client-context']),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // The legacy completion methods.
    succeed: (result) => settle(null, result),
    fail: (err) => settle(err === undefined || err === null ? new Error('handled') : err),
    done: (err, result) => settle(err, result),
  };
}

// Runs the handler once; resolves with {result} or {error}. The first completion wins.
function runHandler(handler, event, headers) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== null && err !== undefined) resolve({ error: err });
      else resolve({ result });
    };
    const context = makeContext(headers, settle);
    try {
      const returned = handler(event, context, settle);
      if (returned && typeof returned.then === 'function') {
        returned.then((r) => settle(null, r), (e) => settle(e === undefined || e === null ? new Error(String(e)) : e));
      } else if (handler.length < 3) {
        // Neither async nor callback-style: the return value is the result.
        settle(null, returned);
      }
    } catch (e) {
      settle(e);
    }
  });
}

async function postError(route, err) {
  const doc = errorDocument(err);
  const body = JSON.stringify(doc);
  await call('POST', route, body, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Lambda-Runtime-Function-Error-Type': doc.errorType,
  });
}

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    console.error(`${e.name}: ${e.message}`);
    await postError('/init/error', e).catch(() => {});
    process.exit(1);
  }
  for (;;) {
    const next = await call('GET', '/invocation/next');
    if (next.status !== 200) {
      // The host has closed this environment.
      process.exit(1);
    }
    const id = next.headers['lambda-runtime-aws-request-id'];
    currentRequestId = id;
    const trace = next.headers['lambda-runtime-trace-id'];
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;
    let event;
    try {
      event = JSON.parse(next.body.toString('utf8'));
    } catch (e) {
      await postError(`/invocation/${id}/error`, Object.assign(new Error(e.message), { name: 'Runtime.UnmarshalError' }));
      continue;
    }
    const outcome = await runHandler(handler, event, next.headers);
    if ('error' in outcome) {
      console.error(util.format('Invoke Error', JSON.stringify(errorDocument(outcome.error))));
      await postError(`/invocation/${id}/error`, outcome.error);
      continue;
    }
    let body;
    try {
      body = JSON.stringify(outcome.result === undefined ? null : outcome.result);
    } catch (e) {
      await postError(`/invocation/${id}/error`, e);
      continue;
    }
    await call('POST', `/invocation/${id}/response`, body, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
  }
}

// An exception nobody caught ends the environment, as on Lambda: reported for the invocation in
// flight (or as an init error), then exit.
async function fatal(err) {
  const route = currentRequestId ? `/invocation/${currentRequestId}/error` : '/init/error';
  console.error(util.format('Uncaught Exception', JSON.stringify(errorDocument(err))));
  await postError(route, err).catch(() => {});
  process.exit(129);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', (reason) => fatal(reason instanceof Error ? reason : Object.assign(new Error(String(reason)), { name: 'Runtime.UnhandledPromiseRejection' })));

main().catch((e) => {
  // The Runtime API is gone (the host stopped): nothing to report to.
  process.stderr.write(`runtime: ${e && e.message}\n`);
  process.exit(1);
});
