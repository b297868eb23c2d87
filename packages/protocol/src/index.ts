export * from './chat.ts';
export * from './codec.ts';
export * from './errors.ts';
export * from './file-transfer.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './signal.ts';
export * from './version.ts';
