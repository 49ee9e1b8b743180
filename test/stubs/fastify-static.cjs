// Jest stand-in for @fastify/static. mercurius requires it (for GraphiQL, which we disable), and its
// dependency content-disposition 3 is ESM-only, which jest's module loader cannot require on Node 20.
// Outside jest Node 20.19+ loads the real module fine. Mapped in jest.config.js.
const plugin = async () => undefined;
module.exports = plugin;
module.exports.default = plugin;
