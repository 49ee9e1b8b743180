export * from './logger';
export * from './http';
export * from './apollo';
export * from './main';
export * from './loops';
export * from './subgraph';
export * from './entities';
