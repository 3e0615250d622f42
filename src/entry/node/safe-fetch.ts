/**
 * Node's FetchFor: undici dispatchers that check where a connection really goes. The host name
 * is resolved by our lookup, and every address it returns must pass the policy before the
 * socket connects to one of them — the check and the connection use the same answer, so a DNS
 * server that answers "public" to a check and "127.0.0.1" to the connection (DNS rebinding) has
 * no second answer to give. The connected socket's remote address is checked again (an IP
 * literal never goes through lookup). One dispatcher per allowPrivate setting, kept for reuse.
 * @module
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { AddressRefusedError, addressRefusal } from '../../recordings/fetch/ip-policy';
import type { FetchFor } from '../../recordings/fetch/port';

/** Every address a name resolves to (tests put a fake one here). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface NodeFetchOptions {
  resolve?: Resolver;
  /** How long a TCP/TLS connect may take (the whole transfer is bounded by the policy's timeout). */
  connectTimeoutMs?: number;
}

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, order: 'verbatim' }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

export interface NodeFetchFor extends FetchFor {
  /** Closes the dispatchers' connections (shutdown, tests). */
  close(): Promise<void>;
}

export function createNodeFetchFor(options: NodeFetchOptions = {}): NodeFetchFor {
  const resolve = options.resolve ?? systemResolver;
  const agents = new Map<boolean, Agent>();
  const fetchFor = (policy: { allowPrivate: boolean }) => {
    let agent = agents.get(policy.allowPrivate);
    if (!agent) {
      agent = guardedAgent(policy.allowPrivate, resolve, options.connectTimeoutMs ?? 10_000);
      agents.set(policy.allowPrivate, agent);
    }
    const dispatcher = agent;
    // undici's own fetch, so the dispatcher is the one from this undici; its Response is the web one in shape.
    return ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as UndiciRequestInit), dispatcher })) as unknown as typeof fetch;
  };
  return Object.assign(fetchFor, {
    async close() {
      await Promise.all([...agents.values()].map((agent) => agent.close()));
      agents.clear();
    },
  });
}

function guardedAgent(allowPrivate: boolean, resolve: Resolver, timeout: number): Agent {
  const lookup = ((hostname: string, lookupOptions: { family?: number | string; all?: boolean }, callback: (...args: unknown[]) => void) => {
    resolve(hostname).then(
      (found) => {
        const family =
          lookupOptions.family === 4 || lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 6 || lookupOptions.family === 'IPv6' ? 6 : 0;
        const addresses = family === 0 ? found : found.filter((a) => a.family === family);
        const first = addresses[0];
        if (!first) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
          return;
        }
        // One refused address refuses the name: a name that mixes public and internal answers is not a PBX's.
        for (const { address } of addresses) {
          const why = addressRefusal(address, allowPrivate);
          if (why) {
            callback(new AddressRefusedError(`${hostname} resolves to a refused address: ${why}`));
            return;
          }
        }
        if (lookupOptions.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error),
    );
  }) as unknown as LookupFunction;

  const connect = buildConnector({ lookup, timeout });
  const guarded: buildConnector.connector = (connectOptions, callback) => {
    connect(connectOptions, (error, socket) => {
      if (error || !socket) {
        callback(error ?? new Error('no socket'), null);
        return;
      }
      const remote = socket.remoteAddress;
      const why = remote ? addressRefusal(remote, allowPrivate) : 'the connection has no remote address';
      if (why) {
        socket.destroy();
        callback(new AddressRefusedError(`the connection to ${connectOptions.hostname} reached a refused address: ${why}`), null);
        return;
      }
      callback(null, socket);
    });
  };
  return new Agent({ connect: guarded });
}

/** The process's FetchFor. */
export const nodeFetchFor = createNodeFetchFor();
