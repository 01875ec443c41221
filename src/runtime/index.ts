export * from "./address.ts";
export * from "./behaviour.ts";
export * from "./supervision.ts";
export * from "./system.ts";
