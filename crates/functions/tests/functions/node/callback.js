// A callback-style handler, `(event, context, callback)`.
exports.handler = (event, context, callback) => {
  if (event.fail) {
    callback(new RangeError('callback failed'));
    return;
  }
  setTimeout(() => callback(null, { via: 'callback', n: event.n, id: context.awsRequestId }), 5);
};
