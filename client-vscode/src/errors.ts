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
 * A message for the user, as Markdown. The server's messages already say what to do (e.g. "run
 * `ollama pull x`"), so they are shown as they are; invalid params name the bad field. An
 * address in it is shown as code: it is the server that could not be reached, not a link to follow.
 */
export function describeError(error: unknown): string {
  return codeFormattedUrls(plainMessage(error));
}

function plainMessage(error: unknown): string {
  if (isResponseError(error)) {
    const field = (error.data as { field?: string } | undefined)?.field;
    if (error.code === INVALID_PARAMS && field) return `${error.message} (\`${field}\`)`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Bare URLs wrapped in backticks; those already inside a code span stay as they are. */
function codeFormattedUrls(markdown: string): string {
  return markdown
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\bhttps?:\/\/[^\s`<>]*[^\s`<>.,;:!?)'"]/g, (url) => `\`${url}\``)))
    .join("");
}

/** Whether setting up the embedded model would fix this error: the server says so when neither
 * a model server nor the embedded model can answer. */
export function offersEmbeddedSetup(error: unknown): boolean {
  return plainMessage(error).includes("ollama-lsp setup-embedded");
}

/** The setting that fixes each kind of failure (the settings editor searches for it). */
const SETTING_FOR_KIND: Partial<Record<RequestFailedData["kind"], string>> = {
  unreachable: "ollama.baseUrl",
  notAModelServer: "ollama.baseUrl",
  unauthorized: "ollama.apiKey",
  modelNotFound: "ollama.model",
  timeout: "ollama.timeouts",
  poolTimeout: "ollama.limits.maxConnections",
  fimUnsupported: "ollama.completion.model",
};

/**
 * The setting to open for this error: by its kind, else the first `ollama.*` setting its
 * message names; undefined when no setting can fix it.
 */
export function settingToFix(error: unknown): string | undefined {
  const kind = failureKind(error);
  const byKind = kind && SETTING_FOR_KIND[kind];
  if (byKind) return byKind;
  return /`(ollama\.[A-Za-z.]+)`/.exec(plainMessage(error))?.[1];
}
