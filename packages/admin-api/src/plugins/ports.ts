/**
 * Makes the daemon's {@link AdminPorts} available to every route as
 * `app.ports`. Named, so route plugins can declare it as a dependency.
 */
import fp from 'fastify-plugin';
import type { AdminPorts } from '../ports.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The running system, as the daemon exposes it to the API. */
    ports: AdminPorts;
  }
}

export const portsPlugin = fp<{ ports: AdminPorts }>(
  async (app, opts) => {
    app.decorate('ports', opts.ports);
  },
  { name: 'sixgate-ports', fastify: '5.x' },
);
