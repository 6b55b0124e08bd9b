// Finding the server executable before starting it, so that a missing one gets one clear
// message with the fix instead of a failed connection.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The executable `command` names (a path, or a name looked up in `searchPath`); undefined if none. */
export function findExecutable(command: string, searchPath = process.env.PATH ?? "", cwd = process.cwd()): string | undefined {
  if (command.includes("/")) {
    const path = isAbsolute(command) ? command : join(cwd, command);
    return isExecutableFile(path) ? path : undefined;
  }
  for (const dir of searchPath.split(delimiter)) {
    if (dir && isExecutableFile(join(dir, command))) return join(dir, command);
  }
  return undefined;
}
