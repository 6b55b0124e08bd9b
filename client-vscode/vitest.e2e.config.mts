import { defineConfig } from "vitest/config";

// One real VS Code at a time (2-core machines); generous timeouts for code-server's start.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
