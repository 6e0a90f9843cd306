/**
 * API-key middleware as in Qdrant: the key comes from `api-key`, else `Authorization: Bearer`;
 * failures are 401 with a plain-text body (not the JSON envelope).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Access } from "./context.js";
import { ApiError } from "./envelope.js";

export interface AuthConfig {
  apiKey: string | undefined;
  readOnlyApiKey: string | undefined;
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const direct = headers["api-key"];
  if (typeof direct === "string") return direct;
  const authz = headers.authorization;
  if (typeof authz === "string") {
    const m = /^Bearer\s+(.+)$/i.exec(authz.trim());
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

/** The access a request has; throws the plain-text 401s. Without configured keys everything is allowed. */
export function authenticate(headers: IncomingHttpHeaders, cfg: AuthConfig): Access {
  if (cfg.apiKey === undefined && cfg.readOnlyApiKey === undefined) return "manage";
  const key = presentedKey(headers);
  if (key === undefined) throw new ApiError(401, "Must provide an API key or an Authorization bearer token", true);
  if (cfg.apiKey !== undefined && key === cfg.apiKey) return "manage";
  if (cfg.readOnlyApiKey !== undefined && key === cfg.readOnlyApiKey) return "read";
  throw new ApiError(401, "Invalid API key or JWT", true);
}
