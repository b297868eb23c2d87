// Vite's `?worker` imports (packages/web/src/app/e2ee-setup.ts): a constructor of the bundled worker.
declare module '*?worker' {
  const WorkerConstructor: new (options?: { name?: string }) => Worker;
  export default WorkerConstructor;
}
