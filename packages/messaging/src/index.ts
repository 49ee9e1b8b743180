export * from './contracts';
export * from './names';
export * from './nats';
export * from './ids';
