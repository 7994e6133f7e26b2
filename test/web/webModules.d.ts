/**
 * For the repo's root typecheck (`tsc -p .`, which has no JSX): the web app's modules, imported by the
 * component tests through the `@web` alias, are opaque here. `tsc -p web` checks the tests against their real
 * types (web/tsconfig.json maps `@web/*` to web/src and leaves this file out).
 */
declare module "@web/*";
