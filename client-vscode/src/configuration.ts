// Changing an `ollama.*` setting from the extension, where the change takes effect.
import * as vscode from "vscode";
import { scopeToWrite } from "./settings";

export async function updateSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration("ollama");
  const scope = scopeToWrite(config.inspect(key));
  await config.update(key, value, scope === "workspace" ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
}
