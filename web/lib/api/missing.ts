import { asApiError } from "@/lib/api/errors";

/**
 * True when the server does not have the endpoint at all (a part not deployed yet), as opposed to a
 * resource that is not found: sdmd's own 404s name what is missing ("service not found").
 */
export function isMissingEndpoint(error: unknown): boolean {
  const e = asApiError(error);
  return (e.status === 404 && e.message === "not found" && !e.details) || e.status === 405;
}
