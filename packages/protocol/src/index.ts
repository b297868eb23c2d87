export * from './codec.ts';
export * from './errors.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './version.ts';
