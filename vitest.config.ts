import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "property-tests/**/*.test.ts", "examples/**/*.test.ts"],
    globalSetup: ["test/fixtures/build-dist.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
