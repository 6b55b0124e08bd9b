import { expect, test } from "vitest";
import { chatHtml, contentSecurityPolicy } from "../../../src/chat/chatHtml";

const resources = { cspSource: "https://x.vscode-cdn.net", scriptUri: "https://x.vscode-cdn.net/w.js", styleUri: "https://x.vscode-cdn.net/s.css", nonce: "abc123", toolbarActions: true };

test("the CSP allows nothing remote and only the nonce'd script", () => {
  const csp = contentSecurityPolicy(resources);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'nonce-abc123'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|http:/);
});

test("every script carries the nonce and every resource is local to the webview", () => {
  const html = chatHtml(resources);
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  expect(scripts).toHaveLength(1);
  expect(scripts.every((tag) => tag.includes('nonce="abc123"'))).toBe(true);
  for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url.startsWith(resources.cspSource)).toBe(true);
  expect(html).not.toMatch(/ style=/);
});

test("History and New chat are in the page only where no title bar offers them (editor tabs)", () => {
  expect(chatHtml({ ...resources, toolbarActions: true })).toContain('id="new-chat"');
  expect(chatHtml({ ...resources, toolbarActions: true })).toContain('id="show-history"');
  expect(chatHtml({ ...resources, toolbarActions: false })).not.toContain('id="new-chat"');
  expect(chatHtml({ ...resources, toolbarActions: false })).not.toContain('id="show-history"');
});

test("the empty conversation offers example prompts that say which context they use", () => {
  const examples = [...chatHtml(resources).matchAll(/<button class="example-prompt" data-prompt="([^"]+)" data-include="(selection|file)">/g)];
  expect(examples.length).toBeGreaterThanOrEqual(3);
});
