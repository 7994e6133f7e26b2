import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The web app's modules, for its component tests (test/web/components).
    alias: { "@web": path.resolve(import.meta.dirname, "web/src") },
  },
  test: {
    include: [
      "test/core/**/*.test.ts",
      "test/cli/**/*.test.ts",
      "test/stack/**/*.test.ts",
      "test/web/**/*.test.ts",
      "test/web/**/*.test.tsx",
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
