// Drives a node with upstream's own client, @calimero-network/calimero-client (pinned in
// package.json): its JsonRpcClient and WsSubscriptionsClient, as a web app would use them.
// Usage: node drive.mjs <node url> <context id> <executor public key>. Prints one JSON line
// of what it saw.
//
// The package's root entry does not load in Node.js (its ESM imports directories), so the
// two clients are imported from their own files. Node 20 has no global WebSocket: `ws`.
import WebSocket from 'ws';
import { JsonRpcClient } from '@calimero-network/calimero-client/lib/rpc/jsonrpc.js';
import { WsSubscriptionsClient } from '@calimero-network/calimero-client/lib/subscriptions/ws.js';

globalThis.WebSocket = WebSocket;
const [url, contextId, executorPublicKey] = process.argv.slice(2); // a member the node holds
const NO_CONTEXT = '11111111111111111111111111111111';

const rpc = new JsonRpcClient(url, '/jsonrpc', 10000);
const call = (method, argsJson, context = contextId) =>
  rpc.execute({ contextId: context, method, argsJson, executorPublicKey });

const ws = new WsSubscriptionsClient(url, '/ws');
await ws.connect();
const events = [];
ws.addCallback(event => events.push(event));
ws.subscribe([contextId]);

// The client does not wait for the node's answer to subscribe, so set until an event comes.
const sets = [];
for (let i = 0; events.length === 0 && i < 50; i++) {
  sets.push(await call('set', { key: `k${i}`, value: `v${i}` }));
  await new Promise(resolve => setTimeout(resolve, 100));
}
const seen = {
  sets: sets.length,
  set: sets[0],
  get: await call('get', { key: 'k0' }),
  missingMethod: await call('nope', {}),
  badArgs: await call('get', { key: 5 }),
  panic: await call('set', { key: '', value: 'x' }),
  noContext: await call('get', { key: 'k0' }, NO_CONTEXT),
  badRequest: await call('get', { key: 'k0' }, 'not-base58!'),
  event: events[0] ?? null,
};
ws.disconnect();
console.log(JSON.stringify(seen));
