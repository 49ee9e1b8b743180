/** The four benchmark subgraphs as one process: `READY {"port":..,"urls":{..}}` once listening. */
import { startSubgraphs } from './subgraphs';

const subgraphs = await startSubgraphs(Number(process.env.PORT ?? 0));
process.stdout.write(`READY ${JSON.stringify({ port: subgraphs.port, urls: subgraphs.urls })}\n`);
const stop = () => void subgraphs.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
