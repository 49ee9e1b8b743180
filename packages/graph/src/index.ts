export { freePort } from './ports';
export {
  createLauncher,
  ROOT,
  type Launcher,
  type LauncherOptions,
  type ProcessSpec,
  type StopOptions,
} from './launcher';
export {
  createGraphLauncher,
  gatewayUrl,
  PROCESSES,
  START_ORDER,
  TOKEN_ISSUER,
  wiringEnv,
  type GraphLauncher,
  type GraphLauncherOptions,
} from './graph';
export { createRunStores, type RunStores, type StoreVariable } from './stores';
export { createRunSecrets, type RunSecrets } from './secrets';
