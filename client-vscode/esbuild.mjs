// Two bundles: the extension (Node, CommonJS, `vscode` provided by the host) and the chat
// webview (browser IIFE with markdown-it, DOMPurify and highlight.js inside: it loads nothing remote;
// its stylesheet brings the codicon font along as dist/codicon.ttf).
import * as esbuild from "esbuild";

const production = process.argv.includes("--production");
const common = { bundle: true, minify: production, sourcemap: !production, logLevel: "info" };

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ["src/extension.ts"],
    outfile: "dist/extension.js",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
  }),
  esbuild.build({
    ...common,
    entryPoints: { webview: "webview/main.ts", "webview-style": "webview/chat.css" },
    outdir: "dist",
    platform: "browser",
    format: "iife",
    target: "es2022",
    loader: { ".ttf": "file" },
    assetNames: "[name]",
  }),
]);
