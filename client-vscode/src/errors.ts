// Server errors as the user should read them.
import { INVALID_PARAMS, REQUEST_FAILED, type RequestFailedData } from "./protocol";

interface ResponseErrorLike {
  code: number;
  message: string;
  data?: unknown;
}

function isResponseError(error: unknown): error is ResponseErrorLike {
  return typeof error === "object" && error !== null && typeof (error as ResponseErrorLike).code === "number";
}

/** The kind of a -32803 RequestFailed error (`unreachable`, `modelNotFound`, …), if it is one. */
export function failureKind(error: unknown): RequestFailedData["kind"] | undefined {
  if (!isResponseError(error) || error.code !== REQUEST_FAILED) return undefined;
  return (error.data as RequestFailedData | undefined)?.kind;
}

/**
 * A message for the user. The server's messages already say what to do (e.g. "run `ollama
 * pull x`"), so they are shown as they are; invalid params name the bad field.
 */
export function describeError(error: unknown): string {
  if (isResponseError(error)) {
    const field = (error.data as { field?: string } | undefined)?.field;
    if (error.code === INVALID_PARAMS && field) return `${error.message} (\`${field}\`)`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
