#!/usr/bin/env node
// The `hodei` command: runs the TypeScript sources through tsx's loader (a runtime dependency),
// so there is no build step between a clone and a running supervisor.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
