// What a docs snippet's `await import('./server.js')` gets: the app's entry point.
export declare function startServer(port?: number): Promise<void>
