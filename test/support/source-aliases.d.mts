export declare function sourceAliases(): Array<{ find: RegExp; replacement: string }>
