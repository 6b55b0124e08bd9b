// The status bar's words (apart from statusBar.ts so that they can be tested without VS Code).

/** The backend setting — with `auto`, whom it chose, once the server said — and the model that
 * answers: "auto (Ollama) · qwen2.5-coder:1.5b", "auto (embedded model) · SmolLM2-135M-Instruct.Q4_1". */
export function backendLabel(setting: string, answering: string | undefined, model: string): string {
  const chosen = setting === "auto" && answering ? ` (${answering.replace(/^the /, "")})` : "";
  return `${setting}${chosen} · ${model}`;
}
