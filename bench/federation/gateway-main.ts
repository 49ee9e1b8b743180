/**
 * One gateway as its own process: argv[2] is the kind, SUPERGRAPH_FILE the composed supergraph,
 * SUBGRAPH_URLS a JSON map name -> URL. Prints `READY {"url":..,"port":..}` once listening.
 */
import { readFileSync } from 'node:fs';
import { createLogger } from '@shop/server';
import { GATEWAY_KINDS, startGateway, type GatewayKind } from './gateways';

const kind = process.argv[2] as GatewayKind;
if (!GATEWAY_KINDS.includes(kind)) {
  process.stderr.write(`usage: gateway-main.ts <${GATEWAY_KINDS.join('|')}>\n`);
  process.exit(2);
}
const gateway = await startGateway(kind, {
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_FILE ?? '', 'utf8'),
  subgraphUrls: JSON.parse(process.env.SUBGRAPH_URLS ?? '{}') as Record<string, string>,
  port: Number(process.env.PORT ?? 0),
  log: createLogger({ name: `bench-${kind}`, level: 'warn' }, process.stderr),
});
process.stdout.write(`READY ${JSON.stringify({ url: gateway.url, port: gateway.port })}\n`);
const stop = () => void gateway.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
