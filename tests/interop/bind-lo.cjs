// Copy of shared/recipes/bind-lo.js: preload (node --require) that makes CSS bind 127.0.0.1 only (CSS has no host option).
// Force any net.Server.listen(port) without host to bind 127.0.0.1 only.
const net = require('net');
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    if (typeof args[1] !== 'string') return orig.call(this, args[0], '127.0.0.1', ...args.slice(1));
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return orig.apply(this, args);
};
