// A code fence's tag (what the model wrote after ```) → a VS Code language id.

/** Tags models write that are not VS Code's id for the language. */
const ALIASES: Record<string, string> = {
  py: "python",
  python3: "python",
  js: "javascript",
  node: "javascript",
  jsx: "javascriptreact",
  ts: "typescript",
  tsx: "typescriptreact",
  sh: "shellscript",
  bash: "shellscript",
  zsh: "shellscript",
  shell: "shellscript",
  console: "shellscript",
  yml: "yaml",
  md: "markdown",
  rs: "rust",
  rb: "ruby",
  golang: "go",
  kt: "kotlin",
  cs: "csharp",
  "c#": "csharp",
  "c++": "cpp",
  hpp: "cpp",
  cc: "cpp",
  h: "c",
  ps1: "powershell",
  docker: "dockerfile",
  tf: "terraform",
  text: "plaintext",
  txt: "plaintext",
};

/** The id of `tag` among `known` (VS Code's languages), else plain text. */
export function languageIdFor(tag: string | undefined, known: readonly string[]): string {
  if (!tag) return "plaintext";
  const lower = tag.toLowerCase();
  const id = ALIASES[lower] ?? lower;
  return known.includes(id) ? id : "plaintext";
}
