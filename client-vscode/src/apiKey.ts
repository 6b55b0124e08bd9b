// The API key of the model server or gateway, kept in VS Code's SecretStorage ("Ollama: Set API
// Key…") and handed to the server in its environment (`OLLAMA_LSP_API_KEY`, which wins over the
// `apiKey` setting there). Never in initializationOptions or settings: a verbose protocol trace
// prints those, and settings.json is plain text (often synced, sometimes committed).
import * as vscode from "vscode";

const SECRET = "ollama.apiKey";
/** The server's environment variable for the key (server/config.py's `API_KEY_VARIABLE`). */
export const API_KEY_VARIABLE = "OLLAMA_LSP_API_KEY";
const WARNED_ABOUT_PLAIN_KEY = "ollama.warnedAboutPlainApiKey";

export class ApiKeyStore {
  constructor(private readonly context: vscode.ExtensionContext) {}

  /** The server's environment: the editor's own, plus the stored key if there is one. */
  async serverEnvironment(): Promise<NodeJS.ProcessEnv> {
    const key = await this.context.secrets.get(SECRET);
    return key ? { ...process.env, [API_KEY_VARIABLE]: key } : { ...process.env };
  }

  /** Asks for the key (hidden as it is typed) and stores it; true when it changed. */
  async promptAndStore(): Promise<boolean> {
    const key = await vscode.window.showInputBox({
      title: "Ollama: API Key",
      prompt: "The key of your model server or team gateway, kept in VS Code's secret storage. Empty: remove it.",
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return false;
    if (key.trim()) {
      await this.context.secrets.store(SECRET, key.trim());
    } else {
      await this.context.secrets.delete(SECRET);
    }
    return true;
  }

  /** Once: the plain `ollama.apiKey` setting works but sits in settings.json; offer to move it.
   * True when it was moved (the server must restart to get it from its environment). */
  async warnAboutPlainKey(): Promise<boolean> {
    const config = vscode.workspace.getConfiguration("ollama");
    const plain = config.get<string>("apiKey");
    if (!plain || this.context.globalState.get(WARNED_ABOUT_PLAIN_KEY)) return false;
    await this.context.globalState.update(WARNED_ABOUT_PLAIN_KEY, true);
    const move = "Move It to Secret Storage";
    const choice = await vscode.window.showWarningMessage(
      "Ollama: “ollama.apiKey” is stored in plain text in your settings. “Ollama: Set API Key…” keeps it in VS Code's secret storage instead.",
      move,
    );
    if (choice !== move) return false;
    await this.context.secrets.store(SECRET, plain);
    const values = config.inspect<string>("apiKey");
    if (values?.workspaceValue !== undefined) await config.update("apiKey", undefined, vscode.ConfigurationTarget.Workspace);
    if (values?.globalValue !== undefined) await config.update("apiKey", undefined, vscode.ConfigurationTarget.Global);
    return true;
  }
}
